// Fixed index (.fidx, spec §3): the chunk list of a block image cut into equal pieces.
//
//   header (4096 bytes): common header (index_common.h) | size u64(8) @64 |
//                        chunk_size u64(8) @72 | reserved, zero
//   body: ceil(size / chunk_size) digests of 32 bytes, nothing else
//
// Chunk i covers [i·chunk_size, min((i+1)·chunk_size, size)); the last chunk may be shorter
// and its digest covers only the remaining bytes. index_csum = SHA-256 of the digest array.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "core/crypto/sha256.h"
#include "core/format/index_common.h"
#include "core/util/bytes.h"

namespace cairn {

// Offsets of the fixed-index header fields that follow the common ones.
inline constexpr size_t kFixedIndexSizeOffset = 64;
inline constexpr size_t kFixedIndexChunkSizeOffset = 72;

// Largest chunk PBS stores (its blob upload limit); no valid fidx uses a larger chunk size.
inline constexpr uint64_t kMaxFixedChunkSize = 16 << 20;

// PBS 4.x rejects other chunk sizes; the shift-based offset math here relies on it too.
inline constexpr bool IsValidFixedChunkSize(uint64_t chunk_size) {
  return (chunk_size & (chunk_size - 1)) == 0 && chunk_size != 0 && chunk_size <= kMaxFixedChunkSize;
}

class FixedIndex {
 public:
  // Fuzzable entry point: decodes and validates a whole .fidx file — magic, chunk_size a
  // power of two no larger than 16 MiB, size > 0, file length exactly 4096 + 32·chunk count,
  // stored csum equal to the digests' SHA-256. The reserved area is ignored. Throws
  // Error(kCorrupt) naming the failed check and its numbers.
  static FixedIndex Parse(ByteView file);

  // Reads and parses the file at `path`. Throws Error: kNotFound/kIo from reading,
  // kCorrupt from Parse; every message names the path.
  static FixedIndex Open(const std::filesystem::path& path);

  // index_csum of a digest array: SHA-256 of the digests concatenated.
  static Digest ComputeCsum(std::span<const Digest> digests);

  const IndexUuid& uuid() const { return header_.uuid; }
  int64_t ctime() const { return header_.ctime; }
  // The stored index_csum (Parse has checked it against the digests).
  const Digest& csum() const { return header_.csum; }
  // Total image size in bytes; always > 0.
  uint64_t size() const { return size_; }
  uint64_t chunk_size() const { return chunk_size_; }

  size_t chunk_count() const { return digests_.size(); }
  const std::vector<Digest>& digests() const { return digests_; }
  // REQUIRES: i < chunk_count().
  const Digest& digest(size_t i) const { return digests_[i]; }
  // REQUIRES: i < chunk_count(). Byte offset of chunk i in the image.
  uint64_t chunk_offset(size_t i) const { return static_cast<uint64_t>(i) << chunk_shift_; }
  // REQUIRES: i < chunk_count(). chunk_size, except for a partial last chunk.
  uint64_t chunk_length(size_t i) const;

  // The chunk containing image byte `offset`, or chunk_count() when offset >= size().
  size_t ChunkIndexAt(uint64_t offset) const;

 private:
  FixedIndex() = default;

  IndexHeader header_;           // uuid, ctime, stored csum
  uint64_t size_ = 0;            // image bytes
  uint64_t chunk_size_ = 0;      // a power of two
  unsigned chunk_shift_ = 0;     // log2(chunk_size_)
  std::vector<Digest> digests_;  // one per chunk, in image order
};

}  // namespace cairn
