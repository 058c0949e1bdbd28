#include "fs/walk_read_ahead.h"

#include "tests/fs/ten_chunk_archive.h"

namespace cairn::fs {
namespace {

using WalkReadAheadTest = test::TenChunkArchiveTest;

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
