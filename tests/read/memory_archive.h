// Archives whose chunks live in a MemoryChunkStore, for reader tests.
#pragma once

#include <cstdint>
#include <vector>

#include "core/format/dynamic_index.h"
#include "core/format/fixed_index.h"
#include "tests/cache/memory_chunk_store.h"

namespace cairn::test {

// Cuts `data` into chunk_size pieces, stores them and returns the fixed index. Full-size
// all-zero chunks are referenced by their digest but not stored, as QEMU's backups do, so a
// reader that fetched one would fail.
FixedIndex StoreFixedImage(MemoryChunkStore& store, ByteView data, uint64_t chunk_size);

// Cuts `data` at `ends` (ascending, the last equal to data.size()), stores every piece and
// returns the dynamic index.
DynamicIndex StoreDynamicStream(MemoryChunkStore& store, ByteView data, const std::vector<uint64_t>& ends);

// `chunks` chunks of chunk_size bytes plus a `tail`-byte partial chunk; chunk i is all
// zeros when i % 5 == 2, random bytes when odd, repetitive text otherwise, and no two
// non-zero chunks are equal (for a given seed).
Bytes MixedImageData(size_t chunks, size_t chunk_size, size_t tail, uint32_t seed);

}  // namespace cairn::test
