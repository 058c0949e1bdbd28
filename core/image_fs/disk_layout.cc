#include "core/image_fs/disk_layout.h"

#include "core/read/slice_source.h"

namespace cairn {

const Volume* DiskLayout::Find(uint32_t number) const {
  for (const Volume& volume : volumes) {
    if (volume.number == number) return &volume;
  }
  return nullptr;
}

std::shared_ptr<BlockSource> VolumeSource(const std::shared_ptr<BlockSource>& disk, const Volume& volume) {
  if (volume.offset == 0 && volume.size == disk->size()) return disk;
  return std::make_shared<SliceSource>(disk, volume.offset, volume.size);
}

DiskLayout ReadDiskLayout(const std::shared_ptr<BlockSource>& disk) {
  DiskLayout layout;
  layout.table = ReadPartitionTable(*disk);
  if (layout.table.scheme == PartitionScheme::kNone) {
    layout.volumes.push_back(Volume{0, 0, disk->size(), std::nullopt, {}});
  } else {
    for (const Partition& p : layout.table.partitions)
      layout.volumes.push_back(Volume{p.number, p.offset, p.size, p, {}});
  }
  for (Volume& volume : layout.volumes) {
    std::shared_ptr<BlockSource> source = VolumeSource(disk, volume);
    volume.filesystem = ProbeFilesystem(*source);
  }
  return layout;
}

}  // namespace cairn
