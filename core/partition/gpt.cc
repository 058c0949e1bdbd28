#include "core/partition/gpt.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <variant>

#include "core/util/error.h"

namespace cairn {
namespace {

struct GptHeader {
  uint64_t my_lba;
  uint64_t alternate_lba;
  uint64_t first_usable;
  uint64_t last_usable;
  std::string disk_guid;
  uint64_t entries_lba;
  uint32_t entry_count;
  uint32_t entry_size;
  uint32_t entries_crc;
};

uint32_t Crc32(ByteView data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; entry arrays are capped far below 4 GiB.
  return static_cast<uint32_t>(crc32(crc, data.data(), static_cast<uInt>(data.size())));
}

// The header at `lba`, or why it is not valid.
std::variant<GptHeader, std::string> ReadHeader(DiskSectors& disk, uint64_t lba) {
  if (!disk.Contains(lba, 1)) return "sector " + std::to_string(lba) + " is beyond the disk";
  Bytes sector = disk.Read(lba, 1, "GPT header");
  if (AsChars(ByteView(sector).first(8)) != kGptSignature) return std::string("no \"EFI PART\" signature");
  uint32_t header_size = LoadLE<uint32_t>(&sector[12]);
  if (header_size < kGptMinHeaderSize || header_size > disk.sector_size()) {
    return "header size " + std::to_string(header_size) + " is not in [92, sector size]";
  }
  uint32_t stored_crc = LoadLE<uint32_t>(&sector[16]);
  StoreLE<uint32_t>(&sector[16], 0);
  if (Crc32(ByteView(sector).first(header_size)) != stored_crc) return std::string("header CRC32 mismatch");
  GptHeader h;
  h.my_lba = LoadLE<uint64_t>(&sector[24]);
  h.alternate_lba = LoadLE<uint64_t>(&sector[32]);
  h.first_usable = LoadLE<uint64_t>(&sector[40]);
  h.last_usable = LoadLE<uint64_t>(&sector[48]);
  h.disk_guid = FormatGuid(&sector[56]);
  h.entries_lba = LoadLE<uint64_t>(&sector[72]);
  h.entry_count = LoadLE<uint32_t>(&sector[80]);
  h.entry_size = LoadLE<uint32_t>(&sector[84]);
  h.entries_crc = LoadLE<uint32_t>(&sector[88]);
  if (h.my_lba != lba) return "header says it is at sector " + std::to_string(h.my_lba);
  if (h.first_usable > h.last_usable || h.last_usable >= disk.count()) {
    return "usable sectors [" + std::to_string(h.first_usable) + ", " + std::to_string(h.last_usable) +
           "] are not on the disk of " + std::to_string(disk.count()) + " sectors";
  }
  if (h.entry_size < kGptMinEntrySize || h.entry_size > kGptMaxEntrySize || h.entry_size % 8 != 0) {
    return "entry size " + std::to_string(h.entry_size) + " is invalid";
  }
  if (uint64_t{h.entry_count} * h.entry_size > kGptMaxEntryBytes) {
    return std::to_string(h.entry_count) + " entries of " + std::to_string(h.entry_size) + " bytes exceed " +
           std::to_string(kGptMaxEntryBytes) + " bytes";
  }
  return h;
}

// The entry array of `h`, or why it is not valid.
std::variant<Bytes, std::string> ReadEntries(DiskSectors& disk, const GptHeader& h) {
  uint64_t bytes = uint64_t{h.entry_count} * h.entry_size;
  uint64_t sectors = (bytes + disk.sector_size() - 1) / disk.sector_size();
  if (!disk.Contains(h.entries_lba, sectors)) {
    return "entries at sector " + std::to_string(h.entries_lba) + " lie beyond the disk";
  }
  Bytes entries = disk.Read(h.entries_lba, sectors, "GPT entries");
  entries.resize(bytes);
  if (Crc32(entries) != h.entries_crc) return std::string("entries CRC32 mismatch");
  return entries;
}

bool IsZero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

PartitionTable Decode(DiskSectors& disk, const GptHeader& h, ByteView entries) {
  PartitionTable table;
  table.scheme = PartitionScheme::kGpt;
  table.sector_size = disk.sector_size();
  table.disk_id = h.disk_guid;
  for (uint32_t i = 0; i < h.entry_count; ++i) {
    ByteView e = entries.subspan(uint64_t{i} * h.entry_size, h.entry_size);
    if (IsZero(e.first(16))) continue;
    uint64_t first = LoadLE<uint64_t>(&e[32]);
    uint64_t last = LoadLE<uint64_t>(&e[40]);
    if (first > last || first < h.first_usable || last > h.last_usable) {
      throw Error(ErrorKind::kCorrupt,
                  "GPT: partition " + std::to_string(i + 1) + " (sectors " + std::to_string(first) + ".." +
                      std::to_string(last) + ") lies outside the usable sectors " +
                      std::to_string(h.first_usable) + ".." + std::to_string(h.last_usable));
    }
    Partition p;
    p.number = i + 1;
    p.offset = first * disk.sector_size();
    p.size = (last - first + 1) * disk.sector_size();
    p.type = FormatGuid(&e[0]);
    p.type_name = std::string(GptTypeName(p.type));
    p.uuid = FormatGuid(&e[16]);
    p.label = Utf16LeToUtf8(e.subspan(56, kGptNameUnits * 2));
    table.partitions.push_back(std::move(p));
  }
  std::vector<const Partition*> by_offset;
  for (const Partition& p : table.partitions) by_offset.push_back(&p);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->offset < by_offset[i - 1]->offset + by_offset[i - 1]->size) {
      throw Error(ErrorKind::kCorrupt, "GPT: partitions " + std::to_string(by_offset[i - 1]->number) +
                                           " and " + std::to_string(by_offset[i]->number) + " overlap");
    }
  }
  return table;
}

// The valid header and entries at `lba`, or why there are none.
std::variant<PartitionTable, std::string> TryCopy(DiskSectors& disk, uint64_t lba,
                                                  std::optional<GptHeader>& header) {
  auto h = ReadHeader(disk, lba);
  if (auto* reason = std::get_if<std::string>(&h)) return *reason;
  header = std::get<GptHeader>(h);
  auto entries = ReadEntries(disk, *header);
  if (auto* reason = std::get_if<std::string>(&entries)) return *reason;
  return Decode(disk, *header, std::get<Bytes>(entries));
}

}  // namespace

std::string FormatGuid(const uint8_t* p) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", LoadLE<uint32_t>(p),
                LoadLE<uint16_t>(p + 4), LoadLE<uint16_t>(p + 6), p[8], p[9], p[10], p[11], p[12], p[13],
                p[14], p[15]);
  return buf;
}

std::string Utf16LeToUtf8(ByteView units) {
  std::string out;
  auto put = [&out](uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  size_t n = units.size() / 2;
  for (size_t i = 0; i < n; ++i) {
    uint32_t u = LoadLE<uint16_t>(&units[2 * i]);
    if (u == 0) break;
    if (u >= 0xD800 && u < 0xDC00 && i + 1 < n) {
      uint32_t low = LoadLE<uint16_t>(&units[2 * i + 2]);
      if (low >= 0xDC00 && low < 0xE000) {
        put(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
        ++i;
        continue;
      }
    }
    put(u >= 0xD800 && u < 0xE000 ? 0xFFFD : u);
  }
  return out;
}

std::string_view GptTypeName(std::string_view guid) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System"},
      {"21686148-6E69-6F6E-744E-656564454649", "BIOS boot"},
      {"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"},
      {"4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)"},
      {"933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux home"},
      {"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"},
      {"E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM"},
      {"A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID"},
      {"BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot"},
      {"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data"},
      {"E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved"},
      {"DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery environment"},
  };
  for (auto [id, name] : kNames) {
    if (id == guid) return name;
  }
  return "";
}

PartitionTable ParseGpt(DiskSectors& disk) {
  std::optional<GptHeader> primary_header;
  auto primary = TryCopy(disk, 1, primary_header);
  if (auto* table = std::get_if<PartitionTable>(&primary)) return std::move(*table);
  std::string primary_reason = std::get<std::string>(primary);

  // The backup header sits at the primary's alternate LBA, and at the last sector by rule.
  uint64_t last = disk.count() == 0 ? 0 : disk.count() - 1;
  uint64_t backup_lba = primary_header && disk.Contains(primary_header->alternate_lba, 1)
                            ? primary_header->alternate_lba
                            : last;
  std::optional<GptHeader> backup_header;
  auto backup = TryCopy(disk, backup_lba, backup_header);
  if (auto* table = std::get_if<PartitionTable>(&backup)) {
    table->warnings.push_back("primary GPT is damaged (" + primary_reason + "); the backup at sector " +
                              std::to_string(backup_lba) + " was used");
    return std::move(*table);
  }
  throw Error(ErrorKind::kCorrupt, "GPT: primary at sector 1: " + primary_reason + "; backup at sector " +
                                       std::to_string(backup_lba) + ": " + std::get<std::string>(backup));
}

}  // namespace cairn
