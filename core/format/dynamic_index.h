// Dynamic index (.didx, spec §4): the chunk list of a byte stream (pxar archive, catalog) cut
// at content-defined boundaries.
//
//   header (4096 bytes): common header (index_common.h) | reserved, zero
//   body: entries of 40 bytes up to end of file: end u64 LE(8) | digest(32)
//
// Entry i covers [end(i-1), end(i)) with end(-1) = 0; ends are strictly increasing. There is
// no size field: the stream size is the last end. index_csum = SHA-256 of the body as stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/crypto/sha256.h"
#include "core/format/index_common.h"
#include "core/util/bytes.h"

namespace cairn {

inline constexpr size_t kDynamicIndexEntrySize = 40;

class DynamicIndex {
 public:
  // Fuzzable entry point: decodes and validates a whole .didx file — magic, body a multiple
  // of 40 bytes, ends strictly increasing from a first end > 0, stored csum equal to the
  // body's SHA-256. The reserved area is ignored. Throws Error(kCorrupt) naming the failed
  // check and its numbers.
  static DynamicIndex Parse(ByteView file);

  // Reads and parses the file at `path`. Throws Error: kNotFound/kIo from reading,
  // kCorrupt from Parse; every message names the path.
  static DynamicIndex Open(const std::filesystem::path& path);

  const IndexUuid& uuid() const { return header_.uuid; }
  int64_t ctime() const { return header_.ctime; }
  // The stored index_csum (Parse has checked it against the body).
  const Digest& csum() const { return header_.csum; }
  // Stream size in bytes: the last end, 0 for an empty index.
  uint64_t size() const { return ends_.empty() ? 0 : ends_.back(); }

  size_t chunk_count() const { return ends_.size(); }
  // REQUIRES: i < chunk_count().
  const Digest& digest(size_t i) const { return digests_[i]; }
  // REQUIRES: i < chunk_count(). Exclusive end of chunk i in the stream.
  uint64_t chunk_end(size_t i) const { return ends_[i]; }
  // REQUIRES: i < chunk_count(). Start of chunk i in the stream.
  uint64_t chunk_offset(size_t i) const { return i == 0 ? 0 : ends_[i - 1]; }
  // REQUIRES: i < chunk_count(). Always > 0.
  uint64_t chunk_length(size_t i) const { return ends_[i] - chunk_offset(i); }

  // The chunk containing stream byte `offset` (binary search), or chunk_count() when
  // offset >= size().
  size_t ChunkIndexAt(uint64_t offset) const;

 private:
  DynamicIndex() = default;

  IndexHeader header_;           // uuid, ctime, stored csum
  std::vector<uint64_t> ends_;   // entry ends, strictly increasing; kept apart from the
                                 // digests so that the binary search stays in cache
  std::vector<Digest> digests_;  // entry digests, parallel to ends_
};

}  // namespace cairn
