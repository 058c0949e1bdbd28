#include "fs/listing_read_ahead.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "core/read/stream_reader.h"
#include "tests/read/memory_archive.h"

namespace cairn::fs {
namespace {

constexpr uint64_t kChunk = 1000;

// An archive of ten 1000-byte chunks whose reader never reads ahead by itself, and a
// listing whose entries lie in chunks 0, 0, 1, 2, 2, 5 and 9 (after "." and "..").
class ListingReadAheadTest : public ::testing::Test {
 protected:
  ListingReadAheadTest()
      : reader_(test::StoreDynamicStream(*store_, Data(), Ends()), cache_,
                {store_, nullptr}, "root.pxar.didx", ReadOptions{0}) {
    entries_ = {{".", 1, NodeType::kDirectory}, {"..", 1, NodeType::kDirectory}};
    for (uint64_t position : {10, 20, 1500, 2500, 2600, 5500, 9500}) {
      entries_.push_back(DirEntry{"e" + std::to_string(position), position, NodeType::kFile, 0, position});
    }
  }

  // No two chunks alike (MixedImageData has zero chunks, which share their digest).
  static Bytes Data() {
    Bytes data(10 * kChunk);
    std::mt19937 rng(7);
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    return data;
  }

  static std::vector<uint64_t> Ends() {
    std::vector<uint64_t> ends;
    for (uint64_t end = kChunk; end <= 10 * kChunk; end += kChunk) ends.push_back(end);
    return ends;
  }

  // Waits until every chunk asked for so far is in the cache (the budget evicts none);
  // returns the chunks fetched.
  std::vector<size_t> Fetched() {
    for (int k = 0; k < 1000; ++k) {
      ChunkCacheStats s = cache_.stats();
      if (s.resident_chunks == s.prefetches + s.misses) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::vector<size_t> fetched;
    for (size_t i = 0; i < reader_.chunk_count(); ++i) {
      if (store_->fetches(reader_.chunk_digest(i)) > 0) fetched.push_back(i);
    }
    return fetched;
  }

  std::shared_ptr<test::MemoryChunkStore> store_ = std::make_shared<test::MemoryChunkStore>();
  ChunkCache cache_{{.budget = 1 << 20, .decode_threads = 2}};
  StreamReader reader_;
  std::vector<DirEntry> entries_;
};

TEST_F(ListingReadAheadTest, FetchesTheChunksOfTheNextEntriesOnly) {
  ListingReadAhead ahead(reader_, 2);
  ahead.At(entries_, 0);  // "."
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1}));
  ahead.At(entries_, 4);  // in chunk 1: chunk 0 is behind, chunk 2 comes next
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1, 2}));
  ahead.At(entries_, 6);  // in chunk 2: then chunk 5, skipping the chunks no entry is in
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1, 2, 5}));
  ahead.At(entries_, 8);  // in chunk 9, the last
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1, 2, 5, 9}));
  EXPECT_EQ(cache_.stats().prefetches, 5u);
  EXPECT_EQ(store_->total_fetches(), 5u);
}

TEST_F(ListingReadAheadTest, TheWindowMovesOnWithTheLookups) {
  ListingReadAhead ahead(reader_, 3);
  ahead.At(entries_, 2);
  Fetched();
  EXPECT_EQ(cache_.stats().live_bytes, 3 * kChunk);  // chunks 0, 1 and 2
  ahead.At(entries_, 5);                             // chunk 2: 0 and 1 are behind, 5 and 9 come
  Fetched();
  EXPECT_EQ(store_->total_fetches(), 5u);
  EXPECT_TRUE(cache_.IsResident({reader_.chunk_digest(9), kChunk}));
}

TEST_F(ListingReadAheadTest, ARewindReadsAheadFromThereAgain) {
  ListingReadAhead ahead(reader_, 1);
  ahead.At(entries_, 8);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{9}));
  ahead.At(entries_, 0);  // rewinddir
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 9}));
}

TEST_F(ListingReadAheadTest, DepthZeroReadsNothingAhead) {
  ListingReadAhead ahead(reader_, 0);
  for (size_t i = 0; i < entries_.size(); ++i) ahead.At(entries_, i);
  EXPECT_TRUE(Fetched().empty());
}

}  // namespace
}  // namespace cairn::fs
