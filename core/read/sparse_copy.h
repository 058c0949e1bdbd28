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

// Copies `source` into a new file `path` (replacing a regular file there) and fsyncs it. The
// copy is written beside it under a temporary name and renamed into place only when complete,
// so a failure (a full disk, a damaged chunk) leaves no partial file under `path`; the
// temporary is removed. Throws kInvalidInput when `path` exists and is not a regular file
// (holes would keep a device's old bytes). `progress`, when set, is called with the bytes
// done so far. Throws Error (from the source or the file).
SparseCopyStats CopyToSparseFile(BlockSource& source, const std::filesystem::path& path,
                                 const std::function<void(uint64_t done)>& progress = {});

}  // namespace cairn
