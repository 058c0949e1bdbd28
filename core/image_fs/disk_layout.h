// The volumes of a disk image: its partitions, or the whole disk when it has no partition
// table, each with what it holds (filesystem_probe.h). What the mount's `.parts/` and `.fs/`
// directories, index.json and the NBD partition exports are made of.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/image_fs/filesystem_probe.h"
#include "core/partition/partition_table.h"

namespace cairn {

struct Volume {
  uint32_t number = 0;  // the partition number; 0 is a whole disk without a partition table
  uint64_t offset = 0;  // bytes into the disk
  uint64_t size = 0;
  std::optional<Partition> partition;  // absent for volume 0
  FilesystemInfo filesystem;
};

struct DiskLayout {
  PartitionTable table;
  std::vector<Volume> volumes;  // ascending number

  // The volume numbered `number`, or null.
  const Volume* Find(uint32_t number) const;
};

// Reads the partition table and probes every volume. Throws like ReadPartitionTable (kCorrupt
// for a damaged table) and passes on read errors of `disk`.
DiskLayout ReadDiskLayout(const std::shared_ptr<BlockSource>& disk);

// The bytes of `volume` as a source of their own (a SliceSource of `disk`).
std::shared_ptr<BlockSource> VolumeSource(const std::shared_ptr<BlockSource>& disk, const Volume& volume);

}  // namespace cairn
