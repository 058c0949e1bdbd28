// Sector-granular reads of a disk for the partition table parsers, with the bounds checks
// every hostile table needs in one place.
#pragma once

#include <cstdint>
#include <string>

#include "core/read/block_source.h"
#include "core/util/bytes.h"

namespace cairn {

class DiskSectors {
 public:
  // `disk` must outlive this.
  DiskSectors(BlockSource& disk, uint32_t sector_size)
      : disk_(disk), sector_size_(sector_size), sectors_(disk.size() / sector_size) {}

  uint32_t sector_size() const { return sector_size_; }
  // Whole sectors on the disk (a partial last sector does not count).
  uint64_t count() const { return sectors_; }

  // Reads `n` sectors from `lba`. Throws Error kCorrupt, naming `what`, when they are not all
  // on the disk (and kCorrupt when n·sector_size overflows).
  Bytes Read(uint64_t lba, uint64_t n, const std::string& what);

  // True when [lba, lba + n) is on the disk (without overflowing).
  bool Contains(uint64_t lba, uint64_t n) const { return lba <= sectors_ && n <= sectors_ - lba; }

 private:
  BlockSource& disk_;
  const uint32_t sector_size_;
  const uint64_t sectors_;
};

}  // namespace cairn
