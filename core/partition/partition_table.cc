#include "core/partition/partition_table.h"

#include "core/partition/gpt.h"
#include "core/partition/mbr.h"
#include "core/read/memory_source.h"

namespace cairn {
namespace {

// True when the disk holds "EFI PART" at byte `offset` (LBA 1 for sector size `offset`).
bool HasGptSignatureAt(BlockSource& disk, uint64_t offset) {
  uint8_t signature[8];
  return disk.Read(offset, signature) == sizeof signature && AsChars(signature) == kGptSignature;
}

}  // namespace

std::string_view PartitionSchemeName(PartitionScheme scheme) {
  switch (scheme) {
    case PartitionScheme::kNone: return "none";
    case PartitionScheme::kMbr: return "mbr";
    case PartitionScheme::kGpt: return "gpt";
  }
  return "none";
}

PartitionTable ReadPartitionTable(BlockSource& disk) {
  if (disk.size() < kMbrSectorSize) return {};
  Bytes sector0(kMbrSectorSize);
  disk.Read(0, sector0);
  bool gpt512 = HasGptSignatureAt(disk, 512);
  bool gpt4096 = HasGptSignatureAt(disk, 4096);
  if (gpt512 || gpt4096 || IsProtectiveMbr(sector0)) {
    // Without a signature at either place (a damaged primary), look for the backup with
    // 512-byte sectors, by far the common case for VM disks.
    DiskSectors sectors(disk, gpt4096 && !gpt512 ? 4096 : 512);
    return ParseGpt(sectors);
  }
  if (LooksLikeMbr(sector0)) {
    DiskSectors sectors(disk, kMbrSectorSize);
    return ParseMbr(sectors);
  }
  return {};
}

PartitionTable ParsePartitionTable(ByteView disk) {
  MemorySource source(disk);
  return ReadPartitionTable(source);
}

}  // namespace cairn
