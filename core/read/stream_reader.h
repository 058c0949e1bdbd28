// Reads a byte stream stored as a dynamic index (spec §4): pxar archives and catalogs,
// cut at content-defined boundaries. Chunk sizes vary, so there is no zero-chunk digest to
// compare with: every chunk is data.
#pragma once

#include "core/format/dynamic_index.h"
#include "core/read/index_reader.h"

namespace cairn {

class StreamReader final : public IndexReaderOf<DynamicIndex, StreamReader> {
 public:
  // As ImageReader's constructor.
  StreamReader(DynamicIndex index, ChunkCache& cache, ChunkSource source, std::string description,
               const ReadOptions& options = {})
      : IndexReaderOf(std::move(index), cache, std::move(source), std::move(description), options) {}

  bool IsZeroChunk(size_t) const override { return false; }
};

}  // namespace cairn
