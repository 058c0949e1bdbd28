// Writes a whole BlockSource to a file, leaving holes where the image reads as zeros (zero
// extents are skipped without reading, data blocks that turn out to be all zeros are not
// written), so that the file takes only the space of its data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "core/read/block_source.h"

namespace cairn {

struct SparseCopyStats {
  uint64_t size = 0;           // bytes of the image (the file's size afterwards)
  uint64_t written_bytes = 0;  // bytes actually written (the rest are holes)
};

// Creates or truncates `path`, copies `source` into it and fsyncs it. `progress`, when set,
// is called with the bytes done so far. Throws Error (from the source or the file).
SparseCopyStats CopyToSparseFile(BlockSource& source, const std::filesystem::path& path,
                                 const std::function<void(uint64_t done)>& progress = {});

}  // namespace cairn
