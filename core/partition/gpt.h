// GUID partition tables (UEFI spec §5.3), sector size S (512 or 4096):
//
//   LBA 0:     protective MBR (one entry of type 0xEE)
//   LBA 1:     header: "EFI PART" @0 | revision u32 @8 | header size u32 @12 (92..S) |
//              header CRC32 u32 @16 (over header size bytes, this field zero) | reserved @20 |
//              my LBA u64 @24 | alternate LBA u64 @32 | first usable u64 @40 |
//              last usable u64 @48 | disk GUID @56 | entries LBA u64 @72 |
//              entry count u32 @80 | entry size u32 @84 | entries CRC32 u32 @88
//   entries:   count × size bytes: type GUID @0 (zero: unused) | unique GUID @16 |
//              first LBA u64 @32 | last LBA u64 @40 (inclusive) | attributes u64 @48 |
//              name, 36 UTF-16LE code units @56
//   last LBA:  the backup header (my LBA and alternate LBA swapped), its entries before it
//
// GUIDs are stored with their first three fields little-endian.
#pragma once

#include "core/partition/disk_sectors.h"
#include "core/partition/partition_table.h"

namespace cairn {

inline constexpr std::string_view kGptSignature = "EFI PART";
inline constexpr uint32_t kGptMinHeaderSize = 92;
inline constexpr uint32_t kGptMinEntrySize = 128;
inline constexpr uint32_t kGptMaxEntrySize = 4096;
// Largest entry array read (the usual one is 16 KiB); a larger one is treated as corrupt.
inline constexpr uint64_t kGptMaxEntryBytes = 1 << 20;
inline constexpr size_t kGptNameUnits = 36;

// Parses the GPT of `disk`, whose sectors are the table's logical sectors. Uses the primary
// header and entries when their CRCs hold, else the backup copy (named in the warnings).
// Throws Error kCorrupt when neither copy is valid, naming both reasons, or when a valid
// table's partitions lie outside the usable area or overlap.
PartitionTable ParseGpt(DiskSectors& disk);

// "EFI System", "Linux filesystem", ... for a type GUID in text form; "" for others.
std::string_view GptTypeName(std::string_view type_guid);

// The GUID at `p` (16 bytes) in its text form, upper case.
std::string FormatGuid(const uint8_t* p);

// UTF-16LE code units (up to the first NUL) as UTF-8; unpaired surrogates become U+FFFD.
std::string Utf16LeToUtf8(ByteView units);

}  // namespace cairn
