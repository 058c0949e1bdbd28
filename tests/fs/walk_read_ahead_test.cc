#include "fs/walk_read_ahead.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "core/read/stream_reader.h"
#include "tests/read/memory_archive.h"

namespace cairn::fs {
namespace {

// An archive of ten 1000-byte chunks of distinct random bytes, whose reader never reads
// ahead by itself, behind a cache large enough to evict nothing.
class WalkReadAheadTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kChunk = 1000;

  WalkReadAheadTest()
      : reader_(test::StoreDynamicStream(*store_, Data(), Ends()), cache_, {store_, nullptr}, "root.pxar.didx",
                ReadOptions{0}) {}

  // Waits until every chunk asked for so far is in the cache; returns the chunks fetched.
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

 private:
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
};

TEST_F(WalkReadAheadTest, FetchesTheChunksFromTheDirectoryOpenedOn) {
  WalkReadAhead walk(reader_, 3);
  walk.At(1500, 9000);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{1, 2, 3}));
  walk.At(2500, 2600);  // a subdirectory in chunk 2: one more ahead
  EXPECT_EQ(Fetched(), (std::vector<size_t>{1, 2, 3, 4}));
  walk.At(7200, 7300);  // a jump ahead: the window moves there
  EXPECT_EQ(Fetched(), (std::vector<size_t>{1, 2, 3, 4, 7, 8, 9}));
  EXPECT_EQ(store_->total_fetches(), 7u);
}

TEST_F(WalkReadAheadTest, CoversTheWindowOnly) {
  WalkReadAhead walk(reader_, 2);
  EXPECT_FALSE(walk.Covers(0));  // no walk yet
  walk.At(1500, 9000);
  EXPECT_FALSE(walk.Covers(999));
  EXPECT_TRUE(walk.Covers(1000));
  EXPECT_TRUE(walk.Covers(2999));
  EXPECT_FALSE(walk.Covers(3000));
}

// `find` opens ".." on its way back up: the window stays where the walk is.
TEST_F(WalkReadAheadTest, ReopeningAnAncestorChangesNothing) {
  WalkReadAhead walk(reader_, 2);
  walk.At(0, 10000);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1}));
  walk.At(3500, 4000);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1, 3, 4}));
  walk.At(1200, 8000);  // holds the directory opened last
  walk.At(0, 10000);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1, 3, 4}));
  EXPECT_TRUE(walk.Covers(3500));
  walk.At(5500, 6000);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{0, 1, 3, 4, 5, 6}));
}

TEST_F(WalkReadAheadTest, ADirectoryBehindTheWindowStartsItOver) {
  WalkReadAhead walk(reader_, 1);
  walk.At(8500, 9000);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{8}));
  walk.At(2500, 2600);  // a second walk, or names sorted unlike the archive
  EXPECT_EQ(Fetched(), (std::vector<size_t>{2, 8}));
  EXPECT_TRUE(walk.Covers(2000));
  EXPECT_FALSE(walk.Covers(8000));
}

TEST_F(WalkReadAheadTest, DepthZeroReadsNothingAhead) {
  WalkReadAhead walk(reader_, 0);
  walk.At(0, 10000);
  walk.At(4500, 5000);
  EXPECT_TRUE(Fetched().empty());
  EXPECT_FALSE(walk.Covers(4500));
}

}  // namespace
}  // namespace cairn::fs
