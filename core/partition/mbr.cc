#include "core/partition/mbr.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/util/error.h"

namespace cairn {
namespace {

struct MbrEntry {
  uint8_t status;
  uint8_t type;
  uint32_t first_lba;
  uint32_t sectors;
};

MbrEntry EntryAt(ByteView sector, size_t i) {
  const uint8_t* p = sector.data() + kMbrEntriesOffset + i * kMbrEntrySize;
  return MbrEntry{p[0], p[4], LoadLE<uint32_t>(p + 8), LoadLE<uint32_t>(p + 12)};
}

bool HasSignature(ByteView sector) {
  return sector[kMbrSignatureOffset] == 0x55 && sector[kMbrSignatureOffset + 1] == 0xAA;
}

bool IsUsed(const MbrEntry& e) {
  return e.type != 0 && e.sectors != 0;
}

bool IsExtended(uint8_t type) {
  return type == 0x05 || type == 0x0F || type == 0x85;
}

std::string TypeCode(uint8_t type) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", type);
  return buf;
}

bool HasText(ByteView sector, size_t at, std::string_view text) {
  return AsChars(sector.subspan(at, text.size())) == text;
}

Partition MakePartition(uint32_t number, const MbrEntry& e, uint64_t first_lba) {
  Partition p;
  p.number = number;
  p.offset = first_lba * kMbrSectorSize;
  p.size = uint64_t{e.sectors} * kMbrSectorSize;
  p.type = TypeCode(e.type);
  p.type_name = std::string(MbrTypeName(e.type));
  p.bootable = e.status == 0x80;
  return p;
}

std::string Where(uint64_t lba) {
  return "sector " + std::to_string(lba);
}

// Throws kCorrupt naming `what` unless [first, first + count) is inside [lo, hi).
void CheckInside(uint64_t first, uint64_t count, uint64_t lo, uint64_t hi, const std::string& what) {
  if (first < lo || first > hi || count > hi - first) {
    throw Error(ErrorKind::kCorrupt, what + " (sectors " + std::to_string(first) + "+" +
                                         std::to_string(count) + ") lies outside sectors [" +
                                         std::to_string(lo) + ", " + std::to_string(hi) + ")");
  }
}

// Follows the EBR chain of the extended partition [ext_first, ext_first + ext_count).
void ParseLogical(DiskSectors& disk, uint64_t ext_first, uint64_t ext_count, PartitionTable& table) {
  uint64_t ext_end = ext_first + ext_count;
  std::set<uint64_t> visited;
  uint64_t ebr = ext_first;
  for (uint32_t number = 5;; ++number) {
    if (!visited.insert(ebr).second) {
      throw Error(ErrorKind::kCorrupt, "MBR: the EBR chain loops back to " + Where(ebr));
    }
    if (visited.size() > kMaxLogicalPartitions) {
      throw Error(ErrorKind::kCorrupt, "MBR: more than " + std::to_string(kMaxLogicalPartitions) +
                                           " logical partitions in the EBR chain");
    }
    Bytes sector = disk.Read(ebr, 1, "MBR: EBR");
    if (!HasSignature(sector))
      throw Error(ErrorKind::kCorrupt, "MBR: EBR at " + Where(ebr) + " lacks the 55 AA signature");
    MbrEntry logical = EntryAt(sector, 0);
    MbrEntry next = EntryAt(sector, 1);
    if (IsUsed(logical)) {
      uint64_t first = ebr + logical.first_lba;
      CheckInside(first, logical.sectors, ebr + 1, ext_end,
                  "MBR: logical partition " + std::to_string(number) + " of the EBR at " + Where(ebr));
      table.partitions.push_back(MakePartition(number, logical, first));
    }
    if (!IsUsed(next)) break;
    if (!IsExtended(next.type)) {
      throw Error(ErrorKind::kCorrupt,
                  "MBR: EBR at " + Where(ebr) + " links to an entry of type " + TypeCode(next.type));
    }
    uint64_t following = ext_first + next.first_lba;
    CheckInside(following, 1, ext_first, ext_end, "MBR: next EBR named by the EBR at " + Where(ebr));
    ebr = following;
  }
}

}  // namespace

std::string_view MbrTypeName(uint8_t type) {
  switch (type) {
    case 0x01: return "FAT12";
    case 0x04: return "FAT16 <32M";
    case 0x06: return "FAT16";
    case 0x07: return "HPFS/NTFS/exFAT";
    case 0x0B: return "W95 FAT32";
    case 0x0C: return "W95 FAT32 (LBA)";
    case 0x0E: return "W95 FAT16 (LBA)";
    case 0x27: return "Hidden NTFS WinRE";
    case 0x82: return "Linux swap / Solaris";
    case 0x83: return "Linux";
    case 0x8E: return "Linux LVM";
    case 0xA5: return "FreeBSD";
    case 0xEE: return "GPT";
    case 0xEF: return "EFI (FAT-12/16/32)";
    case 0xFD: return "Linux raid autodetect";
    default: return "";
  }
}

bool IsProtectiveMbr(ByteView sector0) {
  if (sector0.size() < kMbrSectorSize || !HasSignature(sector0)) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (EntryAt(sector0, i).type == kMbrTypeGptProtective) return true;
  }
  return false;
}

bool LooksLikeMbr(ByteView sector0) {
  if (sector0.size() < kMbrSectorSize || !HasSignature(sector0)) return false;
  // FAT and NTFS boot sectors carry 55 AA too; their BPB says what they are.
  if (HasText(sector0, 3, "NTFS    ") || HasText(sector0, 0x36, "FAT") || HasText(sector0, 0x52, "FAT32"))
    return false;
  bool used = false;
  for (size_t i = 0; i < 4; ++i) {
    MbrEntry e = EntryAt(sector0, i);
    if (e.status != 0x00 && e.status != 0x80) return false;
    used = used || IsUsed(e);
  }
  return used;
}

PartitionTable ParseMbr(DiskSectors& disk) {
  Bytes sector0 = disk.Read(0, 1, "MBR");
  PartitionTable table;
  table.scheme = PartitionScheme::kMbr;
  table.sector_size = kMbrSectorSize;
  char id[16];
  std::snprintf(id, sizeof id, "0x%08x", LoadLE<uint32_t>(sector0.data() + kMbrDiskSignatureOffset));
  table.disk_id = id;

  std::optional<MbrEntry> extended;
  uint64_t extended_first = 0;
  std::vector<std::pair<uint64_t, uint64_t>> used;  // [first, end) of the primaries
  for (uint32_t i = 0; i < 4; ++i) {
    MbrEntry e = EntryAt(sector0, i);
    if (!IsUsed(e)) continue;
    std::string what = "MBR: partition " + std::to_string(i + 1);
    CheckInside(e.first_lba, e.sectors, 1, disk.count(), what);
    for (auto [first, end] : used) {
      if (e.first_lba < end && first < e.first_lba + uint64_t{e.sectors}) {
        throw Error(ErrorKind::kCorrupt, what + " overlaps another primary partition");
      }
    }
    used.emplace_back(e.first_lba, e.first_lba + uint64_t{e.sectors});
    if (IsExtended(e.type)) {
      if (extended) throw Error(ErrorKind::kCorrupt, "MBR: more than one extended partition");
      extended = e;
      extended_first = e.first_lba;
      continue;  // a container, not a partition of its own
    }
    table.partitions.push_back(MakePartition(i + 1, e, e.first_lba));
  }
  if (extended) ParseLogical(disk, extended_first, extended->sectors, table);
  return table;
}

}  // namespace cairn
