#include "core/format/catalog.h"

#include <array>
#include <cstring>

#include "core/util/error.h"

namespace cairn {
namespace {

constexpr size_t kMaxNameLength = 4096;

[[noreturn]] void Corrupt(const std::string& what, uint64_t offset) {
  throw Error(ErrorKind::kCorrupt, "catalog " + what + " at offset " + std::to_string(offset));
}

bool IsKnownType(uint8_t t) {
  for (char c : {'d', 'f', 'l', 'h', 'b', 'c', 'p', 's'}) {
    if (t == static_cast<uint8_t>(c)) return true;
  }
  return false;
}

}  // namespace

void AppendVarintU64(Bytes& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

void AppendVarintI64(Bytes& out, int64_t value) {
  if (value >= 0) return AppendVarintU64(out, static_cast<uint64_t>(value));
  // Magnitude with the final group flagged, then a 00 byte meaning "negative".
  uint64_t d = value == INT64_MIN ? (uint64_t{1} << 63) : static_cast<uint64_t>(-value);
  while (d >= 0x80) {
    out.push_back(static_cast<uint8_t>(d | 0x80));
    d >>= 7;
  }
  out.push_back(static_cast<uint8_t>(d | 0x80));
  out.push_back(0);
}

uint64_t ReadVarintU64(ByteView data, size_t& pos) {
  uint64_t value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= data.size()) Corrupt("varint is truncated", pos);
    uint8_t b = data[pos++];
    if (shift == 63 && b > 1) Corrupt("varint overflows 64 bits", pos - 1);
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return value;
  }
  Corrupt("varint is longer than 10 bytes", pos);
}

int64_t ReadVarintI64(ByteView data, size_t& pos) {
  uint64_t d = 0;
  for (unsigned shift = 0; shift <= 70; shift += 7) {
    if (pos >= data.size()) Corrupt("varint is truncated", pos);
    uint8_t b = data[pos++];
    if (b == 0 && shift > 0) {  // terminator of a negative number
      if (d > (uint64_t{1} << 63)) Corrupt("negative varint overflows 64 bits", pos - 1);
      return d == (uint64_t{1} << 63) ? INT64_MIN : -static_cast<int64_t>(d);
    }
    if (shift > 63 || (shift == 63 && (b & 0x7f) > 1)) Corrupt("varint overflows 64 bits", pos - 1);
    d |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (d > static_cast<uint64_t>(INT64_MAX)) Corrupt("varint overflows a signed 64-bit value", pos - 1);
      return static_cast<int64_t>(d);
    }
  }
  Corrupt("varint is longer than 11 bytes", pos);
}

Catalog Catalog::Parse(Bytes data) {
  if (data.size() < 16 || std::memcmp(data.data(), kCatalogMagic.data(), 8) != 0) {
    throw Error(ErrorKind::kCorrupt, "not a catalog: wrong magic or shorter than 16 bytes");
  }
  uint64_t root = LoadLE<uint64_t>(data.data() + data.size() - 8);
  if (root < 8 || root >= data.size() - 8) Corrupt("root offset " + std::to_string(root) + " is outside the file", data.size() - 8);
  return Catalog(std::move(data), root);
}

std::vector<CatalogEntry> Catalog::ReadDirectory(uint64_t offset) const {
  ByteView all(data_.data(), data_.size() - 8);
  if (offset < 8 || offset >= all.size()) Corrupt("directory offset is outside the file", offset);
  size_t pos = static_cast<size_t>(offset);
  uint64_t table_len = ReadVarintU64(all, pos);
  if (table_len < 1 || table_len > all.size() - pos) Corrupt("directory table length " + std::to_string(table_len) + " is invalid", offset);
  ByteView table = all.first(pos + static_cast<size_t>(table_len));
  uint64_t count = ReadVarintU64(table, pos);
  if (count > table_len) Corrupt("entry count " + std::to_string(count) + " exceeds the table", offset);
  std::vector<CatalogEntry> entries;
  entries.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    size_t entry_at = pos;
    if (pos >= table.size()) Corrupt("directory table is truncated", pos);
    uint8_t type = table[pos++];
    if (!IsKnownType(type)) Corrupt("unknown entry type " + std::to_string(type), entry_at);
    uint64_t name_len = ReadVarintU64(table, pos);
    if (name_len == 0 || name_len >= kMaxNameLength || name_len > table.size() - pos) Corrupt("invalid name length", entry_at);
    CatalogEntry e{static_cast<CatalogEntryType>(type), std::string(AsChars(table.subspan(pos, name_len))), 0, 0, 0};
    pos += static_cast<size_t>(name_len);
    if (e.name.find('/') != std::string::npos || e.name.find('\0') != std::string::npos || e.name == "." || e.name == "..") {
      Corrupt("invalid entry name", entry_at);
    }
    if (e.type == CatalogEntryType::kDirectory) {
      uint64_t back = ReadVarintU64(table, pos);
      if (back == 0 || back > offset - 8) Corrupt("directory back offset " + std::to_string(back) + " is invalid", entry_at);
      e.block_offset = offset - back;
    } else if (e.type == CatalogEntryType::kFile) {
      e.size = ReadVarintU64(table, pos);
      e.mtime = ReadVarintI64(table, pos);
    }
    entries.push_back(std::move(e));
  }
  if (pos != table.size()) Corrupt("directory table has " + std::to_string(table.size() - pos) + " unused bytes", offset);
  return entries;
}

}  // namespace cairn
