#include "core/read/image_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "core/util/error.h"
#include "core/util/hex.h"
#include "tests/read/memory_archive.h"

namespace cairn {
namespace {

constexpr uint64_t kChunk = 16 << 10;

// An image of MixedImageData in a memory store, with a reader over it.
struct TestImage {
  TestImage(ChunkCache& cache, std::shared_ptr<test::MemoryChunkStore> s, Bytes bytes, size_t readahead = 16,
            std::string name = "ds/vm/100/2024-01-01T00:00:00Z/drive-scsi0.img.fidx")
      : store(std::move(s)),
        data(std::move(bytes)),
        reader(test::StoreFixedImage(*store, data, kChunk), cache, ChunkSource{store, nullptr},
               std::move(name), ReadOptions{readahead}) {}

  Bytes ReadAll(uint64_t offset, size_t length) {
    Bytes out(length);
    out.resize(reader.Read(offset, out));
    return out;
  }
  Bytes Expected(uint64_t offset, size_t length) const {
    if (offset >= data.size()) return {};
    auto begin = data.begin() + static_cast<ptrdiff_t>(offset);
    return Bytes(begin, begin + static_cast<ptrdiff_t>(std::min<uint64_t>(length, data.size() - offset)));
  }

  std::shared_ptr<test::MemoryChunkStore> store;
  Bytes data;
  ImageReader reader;
};

ChunkCacheOptions SmallCache(size_t chunks) {
  return {.budget = chunks * kChunk, .decode_threads = 2};
}

std::string ReadError(ImageReader& reader, uint64_t offset, size_t length, ErrorKind kind) {
  Bytes out(length);
  try {
    reader.Read(offset, out);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "read at " << offset << " succeeded";
  return "";
}

TEST(ImageReaderTest, ReadsExactBytesAcrossChunkBoundaries) {
  ChunkCache cache(SmallCache(64));
  TestImage image(cache, std::make_shared<test::MemoryChunkStore>(),
                  test::MixedImageData(12, kChunk, 5000, 1));
  const uint64_t size = image.data.size();
  ASSERT_EQ(image.reader.size(), size);
  ASSERT_EQ(image.reader.chunk_count(), 13u);

  struct Case {
    uint64_t offset;
    size_t length;
  };
  std::vector<Case> cases = {
      {0, 1},
      {0, kChunk},
      {kChunk - 1, 2},                 // one byte on each side of a boundary
      {kChunk - 100, 3 * kChunk},      // spans four chunks
      {2 * kChunk + 7, 100},           // inside a zero chunk
      {kChunk + 10, 2 * kChunk},       // data, zero, data
      {12 * kChunk, 5000},             // the partial last chunk exactly
      {12 * kChunk - 10, 20},          // into the last chunk
      {0, static_cast<size_t>(size)},  // everything
  };
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    uint64_t offset = rng() % size;
    cases.push_back({offset, static_cast<size_t>(rng() % (3 * kChunk) + 1)});
  }
  for (const Case& c : cases) {
    ASSERT_EQ(image.ReadAll(c.offset, c.length), image.Expected(c.offset, c.length))
        << "offset " << c.offset << " length " << c.length;
  }
}

TEST(ImageReaderTest, ClipsReadsAtTheEnd) {
  ChunkCache cache(SmallCache(64));
  TestImage image(cache, std::make_shared<test::MemoryChunkStore>(),
                  test::MixedImageData(4, kChunk, 1000, 2));
  const uint64_t size = image.data.size();
  EXPECT_EQ(image.ReadAll(size - 10, 100), image.Expected(size - 10, 10));
  EXPECT_EQ(image.ReadAll(size, 100).size(), 0u);
  EXPECT_EQ(image.ReadAll(size + 12345, 100).size(), 0u);
  EXPECT_EQ(image.ReadAll(0, 0).size(), 0u);
}

TEST(ImageReaderTest, ZeroChunksNeedNoIoAndAreReportedAsExtents) {
  ChunkCache cache(SmallCache(64));
  // 7 full chunks (2 is zero) and a partial last chunk (index 7) of zeros.
  Bytes data = test::MixedImageData(7, kChunk, 0, 3);
  data.resize(data.size() + 3000, 0);
  TestImage image(cache, std::make_shared<test::MemoryChunkStore>(), data);
  ASSERT_EQ(image.reader.chunk_count(), 8u);
  EXPECT_TRUE(image.reader.IsZeroChunk(2));
  EXPECT_TRUE(image.reader.IsZeroChunk(7));  // the zero digest of the shorter length
  EXPECT_FALSE(image.reader.IsZeroChunk(0));

  EXPECT_EQ(image.ReadAll(2 * kChunk, kChunk), Bytes(kChunk, 0));
  EXPECT_EQ(image.store->total_fetches(), 0u);

  const uint64_t size = image.data.size();
  std::vector<Extent> expected = {{0, 2 * kChunk, false},
                                  {2 * kChunk, kChunk, true},
                                  {3 * kChunk, 4 * kChunk, false},
                                  {7 * kChunk, 3000, true}};
  EXPECT_EQ(image.reader.Extents(0, size), expected);
  std::vector<Extent> clipped = {{2 * kChunk + 5, kChunk - 5, true}, {3 * kChunk, 10, false}};
  EXPECT_EQ(image.reader.Extents(2 * kChunk + 5, kChunk + 5), clipped);
  std::vector<Extent> tail = {{size - 100, 100, true}};
  EXPECT_EQ(image.reader.Extents(size - 100, 1 << 30), tail);
  EXPECT_TRUE(image.reader.Extents(size, 10).empty());
}

TEST(ImageReaderTest, SequentialReadFetchesAheadOnceAndStopsAtTheEnd) {
  ChunkCache cache(SmallCache(64));
  TestImage image(cache, std::make_shared<test::MemoryChunkStore>(), test::MixedImageData(30, kChunk, 100, 4),
                  8);
  Bytes all;
  for (uint64_t offset = 0; offset < image.data.size(); offset += 4096) {
    Bytes piece = image.ReadAll(offset, 4096);
    all.insert(all.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(all, image.data);
  ChunkCacheStats s = cache.stats();
  EXPECT_GT(s.prefetches, 0u);
  size_t nonzero = 0;
  for (size_t i = 0; i < image.reader.chunk_count(); ++i) {
    if (image.reader.IsZeroChunk(i)) continue;
    ++nonzero;
    EXPECT_EQ(image.store->fetches(image.reader.chunk_digest(i)), 1u) << "chunk " << i;
  }
  EXPECT_EQ(image.store->total_fetches(), nonzero);
}

TEST(ImageReaderTest, RandomAccessAndReadaheadZeroFetchNothingAhead) {
  static_assert(18 * kChunk > ReadAhead::kSlack);
  ChunkCache cache(SmallCache(256));
  TestImage random(cache, std::make_shared<test::MemoryChunkStore>(),
                   test::MixedImageData(101, kChunk, 0, 5));
  for (size_t k = 0; k < 300; ++k) {
    // Consecutive reads land at least 19 chunks apart, beyond ReadAhead::kSlack.
    uint64_t offset = (k * 40 % 101) * kChunk + (k * 613) % (kChunk - 4096);
    ASSERT_EQ(random.ReadAll(offset, 4096), random.Expected(offset, 4096));
  }
  EXPECT_EQ(cache.stats().prefetches, 0u);

  TestImage off(cache, std::make_shared<test::MemoryChunkStore>(), test::MixedImageData(20, kChunk, 0, 6), 0);
  for (uint64_t offset = 0; offset < off.data.size(); offset += kChunk / 2) off.ReadAll(offset, kChunk / 2);
  EXPECT_EQ(cache.stats().prefetches, 0u);
}

TEST(ImageReaderTest, CorruptChunkFailsOnlyReadsTouchingIt) {
  ChunkCache cache(SmallCache(64));
  TestImage image(cache, std::make_shared<test::MemoryChunkStore>(), test::MixedImageData(20, kChunk, 0, 8));
  const size_t bad = 9;
  const Digest digest = image.reader.chunk_digest(bad);
  image.store->Corrupt(digest);

  // A sequential pass: read-ahead covers the bad chunk long before it is read, yet every
  // read before it succeeds.
  for (size_t i = 0; i < bad; ++i) {
    ASSERT_EQ(image.ReadAll(i * kChunk, kChunk), image.Expected(i * kChunk, kChunk)) << i;
  }
  std::string message = ReadError(image.reader, bad * kChunk + 100, 10, ErrorKind::kCorrupt);
  EXPECT_NE(message.find(ToHex(digest)), std::string::npos) << message;
  EXPECT_NE(message.find("ds/vm/100/2024-01-01T00:00:00Z/drive-scsi0.img.fidx"), std::string::npos)
      << message;
  EXPECT_NE(message.find("offset " + std::to_string(bad * kChunk)), std::string::npos) << message;
  ReadError(image.reader, bad * kChunk - 10, 20, ErrorKind::kCorrupt);  // spanning into it
  for (size_t i = bad + 1; i < 20; ++i) {
    ASSERT_EQ(image.ReadAll(i * kChunk, kChunk), image.Expected(i * kChunk, kChunk)) << i;
  }

  // The same from 16 threads at random: exactly the reads that touch the chunk fail.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      for (int k = 0; k < 50; ++k) {
        uint64_t offset = rng() % image.data.size();
        size_t length = rng() % (2 * kChunk) + 1;
        bool touches = offset < (bad + 1) * kChunk && offset + length > bad * kChunk;
        try {
          if (image.ReadAll(offset, length) != image.Expected(offset, length) || touches) ++wrong;
        } catch (const Error& e) {
          if (!touches || std::string(e.what()).find(ToHex(digest)) == std::string::npos) ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ImageReaderTest, MissingChunkIsNotFound) {
  ChunkCache cache(SmallCache(64));
  TestImage image(cache, std::make_shared<test::MemoryChunkStore>(), test::MixedImageData(4, kChunk, 0, 9));
  image.store->Remove(image.reader.chunk_digest(3));
  std::string message = ReadError(image.reader, 3 * kChunk, 1, ErrorKind::kNotFound);
  EXPECT_NE(message.find(ToHex(image.reader.chunk_digest(3))), std::string::npos) << message;
  EXPECT_EQ(image.ReadAll(0, kChunk), image.Expected(0, kChunk));
}

// Several images sharing chunks, a cache far smaller than them, 16 threads reading random
// ranges and two reading sequentially: every byte must be right and the budget respected.
TEST(ImageReaderTest, ConcurrentReadersOfImagesSharingChunks) {
  constexpr size_t kBudgetChunks = 12;
  ChunkCache cache(SmallCache(kBudgetChunks));
  auto store = std::make_shared<test::MemoryChunkStore>();
  Bytes base = test::MixedImageData(48, kChunk, 777, 10);
  Bytes other = test::MixedImageData(48, kChunk, 777, 11);
  std::vector<std::unique_ptr<TestImage>> images;
  images.push_back(std::make_unique<TestImage>(cache, store, base));
  for (int variant = 0; variant < 3; ++variant) {
    Bytes data = base;  // shares most chunks with `base`; every third chunk from `other`
    for (size_t i = variant; i < 48; i += 3) {
      std::copy_n(other.begin() + static_cast<ptrdiff_t>(i * kChunk), kChunk,
                  data.begin() + static_cast<ptrdiff_t>(i * kChunk));
    }
    images.push_back(std::make_unique<TestImage>(cache, store, std::move(data)));
  }

  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      for (int k = 0; k < 120; ++k) {
        TestImage& image = *images[rng() % images.size()];
        uint64_t offset = rng() % image.data.size();
        size_t length = rng() % (kChunk * 5 / 2) + 1;
        if (image.ReadAll(offset, length) != image.Expected(offset, length)) ++wrong;
      }
    });
  }
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      TestImage& image = *images[t];
      for (uint64_t offset = 0; offset < image.data.size(); offset += 8192) {
        if (image.ReadAll(offset, 8192) != image.Expected(offset, 8192)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);

  // Beyond the budget only by what reads had pinned at once: each thread's read covers at
  // most four chunks, plus one chunk per decode worker being decoded.
  ChunkCacheStats s = cache.stats();
  EXPECT_LE(s.peak_live_bytes, s.budget + (18 * 4 + 2) * kChunk);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.evictions, 0u);
}

// Read-ahead pins its window: with a budget smaller than two readers' windows, no chunk a
// sequential reader is about to use is evicted before it reads it (each is fetched once).
TEST(ImageReaderTest, ReadAheadDoesNotEvictWhatReadersAreAboutToUse) {
  ChunkCache cache(SmallCache(10));
  auto store = std::make_shared<test::MemoryChunkStore>();
  TestImage a(cache, store, test::MixedImageData(60, kChunk, 0, 12), 8);
  TestImage b(cache, store, test::MixedImageData(60, kChunk, 0, 13), 8);
  std::atomic<int> wrong{0};
  auto scan = [&](TestImage& image) {
    for (uint64_t offset = 0; offset < image.data.size(); offset += kChunk) {
      if (image.ReadAll(offset, kChunk) != image.Expected(offset, kChunk)) ++wrong;
    }
  };
  std::thread ta([&] { scan(a); });
  std::thread tb([&] { scan(b); });
  ta.join();
  tb.join();
  EXPECT_EQ(wrong.load(), 0);
  for (TestImage* image : {&a, &b}) {
    for (size_t i = 0; i < image->reader.chunk_count(); ++i) {
      if (!image->reader.IsZeroChunk(i)) {
        EXPECT_EQ(store->fetches(image->reader.chunk_digest(i)), 1u) << i;
      }
    }
  }
  EXPECT_GT(cache.stats().prefetches, 0u);
}

TEST(ImageReaderTest, AStreamLeftBehindLetsItsReadAheadGo) {
  ChunkCache cache(SmallCache(24));
  TestImage image(cache, std::make_shared<test::MemoryChunkStore>(), test::MixedImageData(200, kChunk, 0, 14), 8);
  // Stream A: three continuing reads make it sequential, and its window pins chunks 1-8.
  for (uint64_t offset = 0; offset < 3 * 4096; offset += 4096) image.ReadAll(offset, 4096);
  // Stream B, far away, reads on for longer than a stream may sit idle, with free slots
  // left, so nothing replaces stream A.
  static_assert(80 > ReadAhead::kIdleReads);
  for (uint64_t offset = 100 * kChunk; offset < 180 * kChunk; offset += kChunk) {
    ASSERT_EQ(image.ReadAll(offset, kChunk), image.Expected(offset, kChunk));
  }
  // A's window no longer pins its chunks, so B's reads have evicted them.
  for (size_t i = 1; i <= 8; ++i) {
    EXPECT_FALSE(cache.IsResident({image.reader.chunk_digest(i), kChunk})) << "chunk " << i;
  }
  // Continuing stream A refills its window and reads the right bytes.
  for (uint64_t offset = 3 * 4096; offset < 3 * kChunk; offset += 4096) {
    ASSERT_EQ(image.ReadAll(offset, 4096), image.Expected(offset, 4096));
  }
}

}  // namespace
}  // namespace cairn
