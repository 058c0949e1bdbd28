#include "core/read/stream_reader.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/read/memory_archive.h"

namespace cairn {
namespace {

TEST(StreamReaderTest, ReadsExactBytesOfVariableSizedChunks) {
  Bytes data = test::MixedImageData(20, 10000, 1234, 21);
  std::vector<uint64_t> ends;
  std::mt19937_64 rng(22);
  for (uint64_t end = 0; end < data.size();) {
    end = std::min<uint64_t>(data.size(), end + 1 + rng() % 30000);
    ends.push_back(end);
  }
  auto store = std::make_shared<test::MemoryChunkStore>();
  ChunkCache cache({.budget = 1 << 20, .decode_threads = 2});
  StreamReader reader(test::StoreDynamicStream(*store, data, ends), cache, {store, nullptr},
                      "root.pxar.didx");
  ASSERT_EQ(reader.size(), data.size());
  ASSERT_EQ(reader.chunk_count(), ends.size());

  // Sequential reads in small pieces fetch ahead; then random reads.
  Bytes all;
  for (uint64_t offset = 0; offset < data.size(); offset += 3000) {
    Bytes piece(3000);
    piece.resize(reader.Read(offset, piece));
    all.insert(all.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(all, data);
  EXPECT_GT(cache.stats().prefetches, 0u);

  for (int k = 0; k < 300; ++k) {
    uint64_t offset = rng() % (data.size() + 100);
    size_t length = rng() % 70000 + 1;
    Bytes out(length);
    out.resize(reader.Read(offset, out));
    Bytes expected;
    if (offset < data.size()) {
      auto begin = data.begin() + static_cast<ptrdiff_t>(offset);
      expected.assign(begin,
                      begin + static_cast<ptrdiff_t>(std::min<uint64_t>(length, data.size() - offset)));
    }
    ASSERT_EQ(out, expected) << "offset " << offset << " length " << length;
  }
  std::vector<Extent> extents = {{0, data.size(), false}};
  EXPECT_EQ(reader.Extents(0, data.size() + 10), extents);
}

}  // namespace
}  // namespace cairn
