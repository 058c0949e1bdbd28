// MBR (DOS) partition tables.
//
//   sector 0: boot code (446) | 4 entries of 16 bytes @446 | signature 55 AA @510
//   entry:    status u8 (0x00 or 0x80 active) @0 | CHS start (3) @1 | type u8 @4 |
//             CHS end (3) @5 | first LBA u32 @8 | sector count u32 @12
//   disk signature u32 @440
//
// An extended partition (type 0x05, 0x0F or 0x85) holds a chain of EBRs: each EBR sector has
// the MBR layout; its entry 0 is one logical partition (start relative to this EBR), its
// entry 1 points to the next EBR (start relative to the extended partition), type 0 ending
// the chain. Logical partitions are numbered 5, 6, ... in chain order. Sectors are 512 bytes.
#pragma once

#include <optional>

#include "core/partition/disk_sectors.h"
#include "core/partition/partition_table.h"

namespace cairn {

inline constexpr uint32_t kMbrSectorSize = 512;
inline constexpr size_t kMbrEntriesOffset = 446;
inline constexpr size_t kMbrEntrySize = 16;
inline constexpr size_t kMbrDiskSignatureOffset = 440;
inline constexpr size_t kMbrSignatureOffset = 510;
inline constexpr uint8_t kMbrTypeGptProtective = 0xEE;
// Most logical partitions followed in one extended partition; more is treated as corrupt.
inline constexpr size_t kMaxLogicalPartitions = 256;

// True when `sector0` (512 bytes) carries the 55 AA signature and valid status bytes, is not
// a filesystem boot sector (FAT, NTFS), and has at least one used entry.
bool LooksLikeMbr(ByteView sector0);
// True when `sector0` is an MBR with a GPT protective (0xEE) entry.
bool IsProtectiveMbr(ByteView sector0);

// Parses the MBR in sector 0 and its extended partition's logical partitions.
// REQUIRES: LooksLikeMbr(sector 0). Throws Error kCorrupt (see ReadPartitionTable).
PartitionTable ParseMbr(DiskSectors& disk);

// "Linux", "Linux swap", "W95 FAT32 (LBA)", ...; "" for other types.
std::string_view MbrTypeName(uint8_t type);

}  // namespace cairn
