#include "fs/volume_cache.h"

#include "fs/node.h"

namespace cairn::fs {

std::shared_ptr<VolumeCache> MakeVolumeCache() {
  return std::make_shared<VolumeCache>();
}

std::shared_ptr<const DiskLayout> VolumeCache::Layout(const std::string& key, const OpenImage& open) {
  {
    std::lock_guard lock(mu_);
    if (auto layout = layouts_.Find(key)) return layout;
  }
  // Read outside the lock: it waits for chunks, and other images need not wait for it.
  auto layout = std::make_shared<const DiskLayout>(ReadDiskLayout(open()));
  std::lock_guard lock(mu_);
  return layouts_.Insert(key, std::move(layout));
}

std::shared_ptr<ExtFilesystem> VolumeCache::Filesystem(const std::string& key, uint32_t number,
                                                       const OpenImage& open) {
  std::string fs_key = key + "#" + std::to_string(number);
  {
    std::lock_guard lock(mu_);
    if (auto fs = filesystems_.Find(fs_key)) return fs;
  }
  std::shared_ptr<BlockSource> image = open();
  std::shared_ptr<const DiskLayout> layout = Layout(key, [&] { return image; });
  const Volume* volume = layout->Find(number);
  if (volume == nullptr) throw Error(ErrorKind::kNotFound, key + " has no volume " + std::to_string(number));
  if (volume->filesystem.kind != FilesystemKind::kExt) {
    throw Error(ErrorKind::kInvalidInput,
                key + " volume " + std::to_string(number) + " holds no ext filesystem");
  }
  std::string description = key + " volume " + std::to_string(number);
  auto fs = std::make_shared<ExtFilesystem>(VolumeSource(image, *volume), description);
  std::lock_guard lock(mu_);
  return filesystems_.Insert(fs_key, std::move(fs));
}

}  // namespace cairn::fs
