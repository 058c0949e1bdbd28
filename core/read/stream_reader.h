// Reads a byte stream stored as a dynamic index (spec §4): pxar archives and catalogs,
// cut at content-defined boundaries. Chunk sizes vary, so there is no zero-chunk digest to
// compare with: every chunk is data.
#pragma once

#include <memory>
#include <string_view>

#include "core/format/dynamic_index.h"
#include "core/read/index_reader.h"

namespace cairn {

class StreamReader final : public IndexReader {
 public:
  // As ImageReader's constructor.
  StreamReader(DynamicIndex index, ChunkCache& cache, ChunkSource source, std::string description,
               const ReadOptions& options = {});

  // Opens `filename` (a .didx of `snapshot`); as ImageReader::Open.
  static std::unique_ptr<StreamReader> Open(const SnapshotReader& snapshot, std::string_view filename,
                                            ChunkCache& cache, const ReadOptions& options = {},
                                            std::shared_ptr<const ChunkStore> store = nullptr);

  const DynamicIndex& index() const { return index_; }

  uint64_t size() const override { return index_.size(); }
  size_t chunk_count() const override { return index_.chunk_count(); }
  uint64_t chunk_offset(size_t i) const override { return index_.chunk_offset(i); }
  uint64_t chunk_length(size_t i) const override { return index_.chunk_length(i); }
  const Digest& chunk_digest(size_t i) const override { return index_.digest(i); }
  size_t ChunkIndexAt(uint64_t offset) const override { return index_.ChunkIndexAt(offset); }
  bool IsZeroChunk(size_t) const override { return false; }

 private:
  DynamicIndex index_;
};

}  // namespace cairn
