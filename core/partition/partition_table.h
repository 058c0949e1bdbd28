// The partition table of a disk image: MBR (primary, extended and logical partitions) or
// GPT (primary header, or the backup header at the end of the disk when the primary is
// damaged). Parsing is bounded for hostile input: a fixed number of sectors is read, EBR
// chains are limited and loops detected, GPT entry arrays are size-capped, and every
// partition must lie inside the disk. Layouts are described in mbr.h and gpt.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/read/block_source.h"
#include "core/util/bytes.h"

namespace cairn {

enum class PartitionScheme { kNone, kMbr, kGpt };

struct Partition {
  uint32_t number = 0;    // as Linux numbers them: MBR 1-4 primary, 5.. logical; GPT entry index + 1
  uint64_t offset = 0;    // first byte, from the start of the disk
  uint64_t size = 0;      // bytes, > 0
  std::string type;       // MBR: "0x83"; GPT: the type GUID, "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
  std::string type_name;  // "Linux filesystem", "EFI System", ...; "" when not a well-known type
  std::string label;      // GPT partition name as UTF-8; "" for MBR
  std::string uuid;       // GPT unique partition GUID; "" for MBR
  bool bootable = false;  // MBR active flag

  bool operator==(const Partition&) const = default;
};

struct PartitionTable {
  PartitionScheme scheme = PartitionScheme::kNone;
  uint32_t sector_size = 512;         // logical sector size the table uses (GPT: 512 or 4096)
  std::string disk_id;                // GPT disk GUID, MBR "0x1234abcd" disk signature
  std::vector<Partition> partitions;  // ascending number; extended containers are not listed
  std::vector<std::string> warnings;  // damage that was worked around (e.g. backup GPT used)
};

// Reads the table of `disk`. An image with no recognisable table (a whole-disk filesystem,
// zeros) gives scheme kNone with no partitions. Throws Error kCorrupt naming the sector and
// the check when a table is present but invalid (bad CRCs in both GPT copies, partitions
// beyond the disk, an EBR loop, ...), and passes on the source's read errors.
PartitionTable ReadPartitionTable(BlockSource& disk);

// Fuzzable entry point: ReadPartitionTable over an in-memory disk image.
PartitionTable ParsePartitionTable(ByteView disk);

// "mbr", "gpt", "none".
std::string_view PartitionSchemeName(PartitionScheme scheme);

}  // namespace cairn
