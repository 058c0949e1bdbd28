// Reads a block-device image stored as a fixed index (spec §3): chunk i covers
// [i·chunk_size, min((i+1)·chunk_size, size)). Chunks whose digest is the zero-chunk digest
// for their length (keyed with the backup's key when encrypted, spec §3.4) are served as
// zeros without I/O and reported as zero extents (NBD block status, sparse copies).
#pragma once

#include <memory>
#include <string_view>

#include "core/format/fixed_index.h"
#include "core/read/index_reader.h"

namespace cairn {

class ImageReader final : public IndexReader {
 public:
  // `cache` must outlive the reader; see ChunkSource for `source`. `description` prefixes
  // error messages (SnapshotReader::Describe gives "<datastore>/<snapshot>/<archive>").
  ImageReader(FixedIndex index, ChunkCache& cache, ChunkSource source, std::string description,
              const ReadOptions& options = {});

  // Opens `filename` (a .fidx of `snapshot`) with the snapshot's chunk store and key, or
  // with `store` when given (e.g. a DelayedChunkStore for benchmarks). The snapshot's key
  // must outlive the cache. Throws Error like SnapshotReader::OpenFixedIndex and CryptFor.
  static std::unique_ptr<ImageReader> Open(const SnapshotReader& snapshot, std::string_view filename,
                                           ChunkCache& cache, const ReadOptions& options = {},
                                           std::shared_ptr<const ChunkStore> store = nullptr);

  const FixedIndex& index() const { return index_; }

  uint64_t size() const override { return index_.size(); }
  size_t chunk_count() const override { return index_.chunk_count(); }
  uint64_t chunk_offset(size_t i) const override { return index_.chunk_offset(i); }
  uint64_t chunk_length(size_t i) const override { return index_.chunk_length(i); }
  const Digest& chunk_digest(size_t i) const override { return index_.digest(i); }
  size_t ChunkIndexAt(uint64_t offset) const override { return index_.ChunkIndexAt(offset); }
  bool IsZeroChunk(size_t i) const override;

 private:
  FixedIndex index_;
  Digest zero_digest_;       // digest of chunk_size zero bytes
  Digest zero_tail_digest_;  // digest of a partial last chunk's length of zeros
};

}  // namespace cairn
