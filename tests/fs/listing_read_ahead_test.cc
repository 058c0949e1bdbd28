#include "fs/listing_read_ahead.h"

#include "tests/fs/ten_chunk_archive.h"

namespace cairn::fs {
namespace {

// A listing whose entries lie in chunks 0, 0, 1, 2, 2, 5 and 9 (after "." and "..").
class ListingReadAheadTest : public test::TenChunkArchiveTest {
 protected:
  ListingReadAheadTest() {
    entries_ = {{".", 1, NodeType::kDirectory}, {"..", 1, NodeType::kDirectory}};
    for (uint64_t position : {10, 20, 1500, 2500, 2600, 5500, 9500}) {
      entries_.push_back(DirEntry{"e" + std::to_string(position), position, NodeType::kFile, 0, position});
    }
  }

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

// Deferred entries are not looked up now (readdirplus leaves them to the kernel).
TEST_F(ListingReadAheadTest, DeferredEntriesAreNotFetched) {
  entries_[7].deferred = true;  // chunk 5
  ListingReadAhead ahead(reader_, 3);
  ahead.At(entries_, 6);
  EXPECT_EQ(Fetched(), (std::vector<size_t>{2, 9}));
}

TEST_F(ListingReadAheadTest, DepthZeroReadsNothingAhead) {
  ListingReadAhead ahead(reader_, 0);
  for (size_t i = 0; i < entries_.size(); ++i) ahead.At(entries_, i);
  EXPECT_TRUE(Fetched().empty());
}

}  // namespace
}  // namespace cairn::fs
