#include "fs/volume_cache.h"

#include "fs/node.h"

namespace cairn::fs {

std::shared_ptr<VolumeCache> MakeVolumeCache() {
  return std::make_shared<VolumeCache>();
}

template <typename T>
std::shared_ptr<T> VolumeCache::Lru<T>::Find(const std::string& key) {
  auto it = entries.find(key);
  if (it == entries.end()) return nullptr;
  order.splice(order.begin(), order, it->second.second);
  return it->second.first;
}

template <typename T>
std::shared_ptr<T> VolumeCache::Lru<T>::Insert(const std::string& key, std::shared_ptr<T> value, size_t cap) {
  if (std::shared_ptr<T> existing = Find(key)) return existing;  // someone opened it meanwhile
  order.push_front(key);
  entries.emplace(key, std::pair{value, order.begin()});
  while (entries.size() > cap) {
    entries.erase(order.back());
    order.pop_back();
  }
  return value;
}

std::shared_ptr<const DiskLayout> VolumeCache::Layout(const std::string& key, const OpenImage& open) {
  {
    std::lock_guard lock(mu_);
    if (auto layout = layouts_.Find(key)) return layout;
  }
  // Read outside the lock: it waits for chunks, and other images need not wait for it.
  auto layout = std::make_shared<const DiskLayout>(ReadDiskLayout(open()));
  std::lock_guard lock(mu_);
  return layouts_.Insert(key, std::move(layout), kMaxLayouts);
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
  return filesystems_.Insert(fs_key, std::move(fs), kMaxOpenFilesystems);
}

}  // namespace cairn::fs
