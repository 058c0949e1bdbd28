// Opens the right reader for an index archive of a snapshot: ImageReader for .fidx,
// StreamReader for .didx. For commands that treat both alike (cat, bench, verify).
#pragma once

#include <memory>
#include <string_view>

#include "core/read/index_reader.h"

namespace cairn {

// REQUIRES: `filename` is a stored name (SnapshotReader::ResolveFileName). Throws
// kInvalidInput for a .blob (not chunked), else as ImageReader::Open / StreamReader::Open.
std::unique_ptr<IndexReader> OpenArchiveReader(const SnapshotReader& snapshot, std::string_view filename,
                                               ChunkCache& cache, const ReadOptions& options = {},
                                               std::shared_ptr<const ChunkStore> store = nullptr);

}  // namespace cairn
