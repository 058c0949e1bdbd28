#include "core/partition/disk_sectors.h"

#include "core/util/error.h"

namespace cairn {

Bytes DiskSectors::Read(uint64_t lba, uint64_t n, const std::string& what) {
  if (!Contains(lba, n)) {
    throw Error(ErrorKind::kCorrupt, what + " at sector " + std::to_string(lba) + " (+" + std::to_string(n) +
                                         ") lies beyond the disk's " + std::to_string(sectors_) + " sectors");
  }
  Bytes out(n * sector_size_);
  size_t got = disk_.Read(lba * sector_size_, out);
  if (got != out.size()) {
    throw Error(ErrorKind::kCorrupt, "short read of " + what + " at sector " + std::to_string(lba));
  }
  return out;
}

}  // namespace cairn
