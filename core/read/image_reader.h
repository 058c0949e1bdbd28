// Reads a block-device image stored as a fixed index (spec §3): chunk i covers
// [i·chunk_size, min((i+1)·chunk_size, size)). Chunks whose digest is the zero-chunk digest
// for their length (keyed with the backup's key when encrypted, spec §3.4) are served as
// zeros without I/O and reported as zero extents (NBD block status, sparse copies).
#pragma once

#include "core/format/fixed_index.h"
#include "core/read/index_reader.h"

namespace cairn {

class ImageReader final : public IndexReaderOf<FixedIndex, ImageReader> {
 public:
  // `cache` must outlive the reader; see ChunkSource for `source`. `description` prefixes
  // error messages (SnapshotReader::Describe gives "<datastore>/<snapshot>/<archive>").
  ImageReader(FixedIndex index, ChunkCache& cache, ChunkSource source, std::string description,
              const ReadOptions& options = {});

  bool IsZeroChunk(size_t i) const override;

 private:
  Digest zero_digest_;       // digest of chunk_size zero bytes
  Digest zero_tail_digest_;  // digest of a partial last chunk's length of zeros
};

}  // namespace cairn
