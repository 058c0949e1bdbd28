// The snapshot catalog `catalog.pcat1` (spec §8): a compact directory tree of the legacy
// .pxar archives of a snapshot, for browsing without reading the archives.
//
//   magic(8) | directory blocks, post-order | u64 LE offset of the root block
//   block:  varint table_len | varint count | entries
//   entry:  u8 type | varint name_len | name | 'd': varint back_offset
//                                            | 'f': varint size, varint-i64 mtime
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/util/bytes.h"

namespace cairn {

// The first 8 bytes of SHA-256("Proxmox Backup Catalog file v1.0").
inline constexpr std::array<uint8_t, 8> kCatalogMagic = {0x91, 0xfd, 0x60, 0xf9, 0xc4, 0x67, 0x58, 0xd5};

enum class CatalogEntryType : uint8_t {
  kDirectory = 'd',
  kFile = 'f',
  kSymlink = 'l',
  kHardlink = 'h',
  kBlockDevice = 'b',
  kCharDevice = 'c',
  kFifo = 'p',
  kSocket = 's',
};

struct CatalogEntry {
  CatalogEntryType type;
  std::string name;
  uint64_t size = 0;          // files only
  int64_t mtime = 0;          // files only, epoch seconds
  uint64_t block_offset = 0;  // directories only: absolute offset of the child's block
};

// Varint codecs of §8.2. Decoders advance `pos` and throw Error(kCorrupt) on truncation or
// overlong encodings.
void AppendVarintU64(Bytes& out, uint64_t value);
void AppendVarintI64(Bytes& out, int64_t value);
uint64_t ReadVarintU64(ByteView data, size_t& pos);
int64_t ReadVarintI64(ByteView data, size_t& pos);

// Read access to a whole catalog held in memory.
class Catalog {
 public:
  // Fuzzable entry point: checks the magic and the root offset. Throws Error(kCorrupt).
  static Catalog Parse(Bytes data);

  uint64_t root_offset() const { return root_offset_; }
  // The entries of the directory block at `offset` (the root: root_offset()), validated:
  // names non-empty without '/' or NUL and shorter than 4096 bytes, child blocks before
  // their parent, all table bytes consumed. Throws Error(kCorrupt).
  std::vector<CatalogEntry> ReadDirectory(uint64_t offset) const;

 private:
  explicit Catalog(Bytes data, uint64_t root_offset) : data_(std::move(data)), root_offset_(root_offset) {}

  Bytes data_;             // the whole catalog file
  uint64_t root_offset_;   // start of the root directory block
};

}  // namespace cairn
