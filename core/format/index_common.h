// What the fixed (.fidx, spec §3) and dynamic (.didx, spec §4) index files share: a 4096-byte
// little-endian header that starts with
//
//   magic(8) | uuid(16) | ctime i64(8) | index_csum(32)
//
// followed by format-specific fields and zero padding, then the entries up to end of file.
// The readers and writers of both formats use these helpers so that the common header is
// encoded and checked in exactly one place.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/crypto/sha256.h"
#include "core/util/bytes.h"
#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {

using IndexUuid = std::array<uint8_t, 16>;
using IndexMagic = std::array<uint8_t, 8>;

// Upstream headers are always 4096 bytes (a loongarch64 fork uses 16384; we do not).
inline constexpr size_t kIndexHeaderSize = 4096;

inline constexpr IndexMagic kFixedIndexMagic = {0x2f, 0x7f, 0x41, 0xed, 0x91, 0xfd, 0x0f, 0xcd};
inline constexpr IndexMagic kDynamicIndexMagic = {0x1c, 0x91, 0x4e, 0xa5, 0x19, 0xba, 0xb3, 0xcd};

// Offsets of the common header fields.
inline constexpr size_t kIndexUuidOffset = 8;
inline constexpr size_t kIndexCtimeOffset = 24;
inline constexpr size_t kIndexCsumOffset = 32;

// Index files are read whole into memory. 4 GiB holds 128 M fixed-index digests (512 TiB of
// image at 4 MiB chunks); anything larger is not an index we could have produced or want to
// allocate for.
inline constexpr size_t kMaxIndexFileSize = size_t{1} << 32;

// The fields of the common header.
struct IndexHeader {
  IndexUuid uuid{};
  int64_t ctime = 0;  // epoch seconds of index creation
  Digest csum{};      // index_csum as stored
};

// Checks that `file` holds at least a header and starts with `magic`, and decodes the common
// fields. `kind` names the format in messages ("fixed index"). Throws Error(kCorrupt).
IndexHeader ParseIndexHeader(ByteView file, const IndexMagic& magic, std::string_view kind);

// Throws Error(kCorrupt) naming both values unless stored == computed.
void CheckIndexCsum(const Digest& stored, const Digest& computed, std::string_view kind);

// Returns a kIndexHeaderSize-byte buffer holding magic and `header`, every other byte zero;
// the caller fills its format-specific fields and appends the entries.
Bytes NewIndexHeader(const IndexMagic& magic, const IndexHeader& header);

// Reads the whole index file at `path` (O_NOATIME where permitted, pread, no mmap: a file
// truncated under a mapping would raise SIGBUS) and returns Index::Parse of it. Parse
// errors get the path as context; I/O errors already name it.
template <typename Index>
Index OpenIndexFile(const std::filesystem::path& path) {
  Bytes file = ReadWholeFile(path, kMaxIndexFileSize);
  try {
    return Index::Parse(file);
  } catch (const Error& e) {
    throw e.WithContext(path.string());
  }
}

}  // namespace cairn
