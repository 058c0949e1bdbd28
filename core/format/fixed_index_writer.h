// Encoding of fixed index files (.fidx, spec §3; the layout is described in fixed_index.h).
#pragma once

#include <cstdint>
#include <span>

#include "core/crypto/sha256.h"
#include "core/format/index_common.h"
#include "core/util/bytes.h"

namespace cairn {

// Returns the complete .fidx file for an image of `size` bytes cut into `chunk_size` pieces
// whose digests are `digests`, in order, computing index_csum; the reserved header area is
// zero. The result parses with FixedIndex::Parse and is byte-identical to what PBS writes.
// Throws Error(kInvalidInput) unless size > 0, chunk_size is a power of two no larger than
// 16 MiB and digests.size() == ceil(size / chunk_size).
Bytes SerializeFixedIndex(const IndexUuid& uuid, int64_t ctime, uint64_t size, uint64_t chunk_size,
                          std::span<const Digest> digests);

}  // namespace cairn
