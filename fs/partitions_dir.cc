#include "fs/partitions_dir.h"

#include "core/image_fs/image_fs_path.h"
#include "core/read/slice_source.h"
#include "fs/fixed_link.h"

namespace cairn::fs {

std::shared_ptr<Node> PartitionsDir::Lookup(std::string_view name) {
  std::shared_ptr<const DiskLayout> layout = image_.Layout(context_);
  for (const Volume& volume : layout->volumes) {
    if (!volume.partition) continue;
    if (ParseVolumeNumber(name) == volume.number) {
      return std::make_shared<PartitionFile>(context_, ChildPath(name), image_, volume);
    }
    if (name == LabelLinkName(*volume.partition)) {
      return std::make_shared<FixedLink>(context_, ChildPath(name), std::to_string(volume.number),
                                         image_.snapshot.time);
    }
  }
  return nullptr;
}

std::vector<DirEntry> PartitionsDir::List() {
  std::vector<DirEntry> entries;
  std::shared_ptr<const DiskLayout> layout = image_.Layout(context_);
  for (const Volume& volume : layout->volumes) {
    if (!volume.partition) continue;
    entries.push_back(ChildEntry(std::to_string(volume.number), NodeType::kFile));
    std::string link = LabelLinkName(*volume.partition);
    if (!link.empty()) entries.push_back(ChildEntry(std::move(link), NodeType::kSymlink));
  }
  return entries;
}

std::unique_ptr<FileReader> PartitionFile::Open() {
  return std::make_unique<BlockSourceFile>(
      std::make_unique<SliceSource>(image_.Open(context_), volume_.offset, volume_.size));
}

}  // namespace cairn::fs
