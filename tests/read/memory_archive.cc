#include "tests/read/memory_archive.h"

#include <algorithm>
#include <random>
#include <string>

#include "core/format/dynamic_index_writer.h"
#include "core/format/fixed_index_writer.h"

namespace cairn::test {

FixedIndex StoreFixedImage(MemoryChunkStore& store, ByteView data, uint64_t chunk_size) {
  std::vector<Digest> digests;
  for (uint64_t at = 0; at < data.size(); at += chunk_size) {
    ByteView piece = data.subspan(at, std::min<uint64_t>(chunk_size, data.size() - at));
    bool zero = piece.size() == chunk_size &&
                std::all_of(piece.begin(), piece.end(), [](uint8_t b) { return b == 0; });
    digests.push_back(zero ? store.DigestOf(piece) : store.Add(piece));
  }
  return FixedIndex::Parse(SerializeFixedIndex(IndexUuid{}, 0, data.size(), chunk_size, digests));
}

DynamicIndex StoreDynamicStream(MemoryChunkStore& store, ByteView data, const std::vector<uint64_t>& ends) {
  DynamicIndexWriter writer;
  uint64_t start = 0;
  for (uint64_t end : ends) {
    writer.Add(end, store.Add(data.subspan(start, end - start)));
    start = end;
  }
  return DynamicIndex::Parse(writer.Finish(IndexUuid{}, 0));
}

Bytes MixedImageData(size_t chunks, size_t chunk_size, size_t tail, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes data(chunks * chunk_size + tail, 0);
  for (size_t i = 0; i <= chunks; ++i) {
    uint8_t* p = data.data() + i * chunk_size;
    size_t n = i == chunks ? tail : chunk_size;
    if (i % 5 == 2) continue;
    if (i % 2 == 1) {
      for (size_t k = 0; k < n; ++k) p[k] = static_cast<uint8_t>(rng());
    } else {
      std::string line =
          "chunk " + std::to_string(i) + " seed " + std::to_string(seed) + " the quick brown fox ";
      for (size_t k = 0; k < n; ++k) p[k] = static_cast<uint8_t>(line[k % line.size()]);
    }
  }
  return data;
}

}  // namespace cairn::test
