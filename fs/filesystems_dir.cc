#include "fs/filesystems_dir.h"

#include "core/image_fs/image_fs_path.h"
#include "fs/ext_node.h"

namespace cairn::fs {

std::shared_ptr<Node> FilesystemsDir::Lookup(std::string_view name) {
  std::optional<uint32_t> number = ParseVolumeNumber(name);
  if (!number) return nullptr;
  const Volume* volume = image_.Layout(context_)->Find(*number);
  if (volume == nullptr || volume->filesystem.kind != FilesystemKind::kExt) return nullptr;
  return std::make_shared<ExtNode>(context_, ChildPath(name), image_, *number, ExtFilesystem::kRootIno);
}

std::vector<DirEntry> FilesystemsDir::List() {
  std::vector<DirEntry> entries;
  for (const Volume& volume : image_.Layout(context_)->volumes) {
    if (volume.filesystem.kind == FilesystemKind::kExt) {
      entries.push_back(ChildEntry(std::to_string(volume.number), NodeType::kDirectory));
    }
  }
  return entries;
}

}  // namespace cairn::fs
