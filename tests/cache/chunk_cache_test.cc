#include "core/cache/chunk_cache.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "core/util/error.h"
#include "core/util/resident_memory.h"
#include "tests/cache/memory_chunk_store.h"

namespace cairn {
namespace {

constexpr size_t kChunk = 16 << 10;

// Distinct random chunks in a shared memory store, and the source to read them from.
struct Chunks {
  explicit Chunks(size_t n, size_t size = kChunk) {
    std::mt19937 rng(42);
    for (size_t i = 0; i < n; ++i) {
      Bytes plain(size);
      for (auto& b : plain) b = static_cast<uint8_t>(rng());
      keys.push_back({store->Add(plain), size});
      data.push_back(std::move(plain));
    }
  }
  ChunkSource source() const { return {store, nullptr}; }

  std::shared_ptr<test::MemoryChunkStore> store = std::make_shared<test::MemoryChunkStore>();
  std::vector<ChunkKey> keys;
  std::vector<Bytes> data;
};

ChunkCacheOptions Budget(size_t chunks, size_t fetch_threads = kDefaultFetchThreads) {
  return {.budget = chunks * kChunk, .decode_threads = 2, .fetch_threads = fetch_threads};
}

TEST(ChunkCacheTest, MissThenHit) {
  Chunks c(1);
  ChunkCache cache(Budget(4));
  EXPECT_EQ(*cache.Get(c.keys[0], c.source()), c.data[0]);
  EXPECT_EQ(*cache.Get(c.keys[0], c.source()), c.data[0]);
  ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.fetches, 1u);
  EXPECT_EQ(s.decodes, 1u);
  EXPECT_EQ(s.resident_bytes, kChunk);
  EXPECT_EQ(s.resident_chunks, 1u);
}

TEST(ChunkCacheTest, ConcurrentMissesDecodeOnce) {
  Chunks c(1);
  ChunkCache cache(Budget(4));
  c.store->Hold();  // every request below arrives while the first fetch is still running
  std::vector<PendingChunk> pending(16);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < pending.size(); ++t) {
    threads.emplace_back([&, t] { pending[t] = cache.Request(c.keys[0], c.source()); });
  }
  for (auto& t : threads) t.join();
  c.store->Release();
  for (const PendingChunk& p : pending) EXPECT_EQ(*p.Wait(), c.data[0]);
  ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 15u);
  EXPECT_EQ(s.decodes, 1u);
  EXPECT_EQ(c.store->total_fetches(), 1u);
}

TEST(ChunkCacheTest, StaysWithinBudget) {
  Chunks c(20);
  ChunkCache cache(Budget(4));
  for (size_t i = 0; i < c.keys.size(); ++i) EXPECT_EQ(*cache.Get(c.keys[i], c.source()), c.data[i]);
  ChunkCacheStats s = cache.stats();
  EXPECT_LE(s.peak_live_bytes, s.budget);
  EXPECT_EQ(s.limit, s.budget);  // not bound_process: the rest of the process does not count
  EXPECT_EQ(s.resident_bytes, 4 * kChunk);
  EXPECT_EQ(s.evictions, 16u);
}

TEST(ChunkCacheTest, FetchesReadIntoTheBuffersOfEvictedChunks) {
  // Uncompressed chunks keep their fetch buffers as their decoded bytes, so no fetch buffer
  // is left over: once the cache is full, each fetch reads into the buffer of the chunk its
  // request evicted instead of fresh memory.
  Chunks c(6);
  ChunkCache cache(Budget(2));
  for (size_t i = 0; i < c.keys.size(); ++i) EXPECT_EQ(*cache.Get(c.keys[i], c.source()), c.data[i]);
  const std::vector<size_t> offered = c.store->offered_capacities();
  ASSERT_EQ(offered.size(), 6u);
  EXPECT_EQ(offered[0], 0u);
  EXPECT_EQ(offered[1], 0u);
  for (size_t i = 2; i < offered.size(); ++i) EXPECT_GE(offered[i], kChunk) << i;
}

constexpr size_t kMiB = 1 << 20;

TEST(ChunkCacheTest, BoundProcessLeavesChunksWhatTheRestOfTheProcessDoesNotHold) {
  Chunks c(9, kMiB);  // decoding 8 MiB makes the cache measure the process
  const uint64_t budget = *ResidentBytes() + (256 << 20);
  ChunkCache cache({.budget = budget, .bound_process = true, .decode_threads = 2});
  // Nothing measured yet: the budget less the freed bytes that may wait for a heap trim.
  const uint64_t unmeasured = cache.limit();
  EXPECT_GE(unmeasured, budget - (32 << 20));
  for (size_t i = 0; i < c.keys.size(); ++i) EXPECT_EQ(*cache.Get(c.keys[i], c.source()), c.data[i]);
  const ChunkCacheStats s = cache.stats();
  // The rest of the process holds at least the store's and the test's 9 MiB copies, and
  // at most everything resident.
  EXPECT_LE(s.limit, unmeasured - 2 * 9 * kMiB);
  EXPECT_GE(s.limit, unmeasured - *ResidentBytes());
  EXPECT_EQ(s.resident_bytes, 9 * kMiB);
}

TEST(ChunkCacheTest, BoundProcessKeepsAQuarterOfTheBudgetForChunks) {
  Chunks c(12, kMiB);
  // Less than the process holds already: chunks get the quarter.
  ChunkCache cache({.budget = 8 * kMiB, .bound_process = true, .decode_threads = 2});
  for (size_t i = 0; i < c.keys.size(); ++i) EXPECT_EQ(*cache.Get(c.keys[i], c.source()), c.data[i]);
  const ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.limit, 2 * kMiB);
  EXPECT_EQ(s.resident_bytes, 2 * kMiB);
}

TEST(ChunkCacheTest, HeldChunksSurviveEvictionAndReadAheadIsRefused) {
  Chunks c(6);
  ChunkCache cache(Budget(4));
  std::vector<ChunkHandle> held;
  for (size_t i = 0; i < 4; ++i) held.push_back(cache.Get(c.keys[i], c.source()));
  // No room without evicting chunks in use: read-ahead is refused, a demand read is not.
  EXPECT_FALSE(cache.Prefetch(c.keys[4], c.source()));
  EXPECT_EQ(*cache.Get(c.keys[5], c.source()), c.data[5]);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(*held[i], c.data[i]);
  ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.prefetch_refused, 1u);
  EXPECT_EQ(s.evictions, 0u);
  // Once released, the chunks are evictable again and the live bytes return to the budget.
  held.clear();
  EXPECT_EQ(*cache.Prefetch(c.keys[4], c.source()).Wait(), c.data[4]);
  EXPECT_LE(cache.stats().live_bytes, cache.budget());
}

TEST(ChunkCacheTest, ScanDoesNotFlushChunksUsedTwice) {
  Chunks c(40);
  ChunkCache cache(Budget(8));
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < 3; ++i) cache.Get(c.keys[i], c.source());
  }
  for (size_t i = 3; i < c.keys.size(); ++i) cache.Get(c.keys[i], c.source());  // a long scan
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(*cache.Get(c.keys[i], c.source()), c.data[i]);
    EXPECT_EQ(c.store->fetches(c.keys[i].digest), 1u) << i;
  }
}

// Read-ahead for a walk may evict chunks used twice (oldest first), which plain read-ahead
// leaves alone; neither evicts pinned chunks.
TEST(ChunkCacheTest, ReadAheadForAWalkMayEvictProtectedChunks) {
  Chunks c(6);
  ChunkCache cache(Budget(4));
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < 3; ++i) cache.Get(c.keys[i], c.source());
  }
  ChunkHandle held = cache.Get(c.keys[3], c.source());  // full: 0-2 protected, 3 pinned
  EXPECT_FALSE(cache.Prefetch(c.keys[4], c.source()));
  EXPECT_EQ(*cache.PrefetchForWalk(c.keys[4], c.source()).Wait(), c.data[4]);
  EXPECT_FALSE(cache.IsResident(c.keys[0]));  // the oldest
  for (size_t i : {1, 2, 3, 4}) EXPECT_TRUE(cache.IsResident(c.keys[i])) << i;
  std::vector<PendingChunk> pinned;
  for (size_t i : {1, 2}) pinned.push_back(cache.Request(c.keys[i], c.source()));
  PendingChunk walk = cache.PrefetchForWalk(c.keys[4], c.source());  // resident: pinned as well
  EXPECT_FALSE(cache.PrefetchForWalk(c.keys[5], c.source()));       // nothing left to evict
  ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.prefetch_refused, 2u);
}

TEST(ChunkCacheTest, ErrorsAreReportedAndNotCached) {
  Chunks c(2);
  ChunkCache cache(Budget(4));
  c.store->Corrupt(c.keys[0].digest);
  c.store->Remove(c.keys[1].digest);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      cache.Get(c.keys[0], c.source());
      ADD_FAILURE() << "corrupt chunk decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
    }
  }
  EXPECT_EQ(c.store->fetches(c.keys[0].digest), 2u);
  try {
    cache.Get(c.keys[1], c.source());
    ADD_FAILURE() << "missing chunk found";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound) << e.what();
  }
  ChunkCacheStats s = cache.stats();
  EXPECT_EQ(s.failures, 3u);
  EXPECT_EQ(s.resident_chunks, 0u);
  EXPECT_EQ(s.live_bytes, 0u);
}

TEST(ChunkCacheTest, DemandOvertakesQueuedReadAhead) {
  Chunks c(5);
  ChunkCache cache(Budget(8, 1));  // one fetch thread: queued jobs run in priority order
  c.store->Hold();
  PendingChunk first = cache.Request(c.keys[0], c.source());
  std::vector<PendingChunk> ahead;
  for (size_t i = 1; i < 4; ++i) ahead.push_back(cache.Prefetch(c.keys[i], c.source()));
  PendingChunk demand = cache.Request(c.keys[4], c.source());
  c.store->Release();
  EXPECT_EQ(*demand.Wait(), c.data[4]);
  for (const PendingChunk& p : ahead) p.Wait();
  std::vector<Digest> order = c.store->fetch_order();
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(order[0], c.keys[0].digest);
  EXPECT_EQ(order[1], c.keys[4].digest);
}

TEST(ChunkCacheTest, AbandonedReadAheadIsNotFetched) {
  Chunks c(2);
  ChunkCache cache(Budget(8, 1));
  c.store->Hold();
  PendingChunk first = cache.Request(c.keys[0], c.source());  // occupies the fetch thread
  cache.Prefetch(c.keys[1], c.source());                      // dropped by its requester
  c.store->Release();
  first.Wait();
  // The fetch thread reaches the abandoned job after the first fetch; wait until it has.
  while (cache.stats().prefetch_dropped == 0) std::this_thread::yield();
  EXPECT_EQ(c.store->fetches(c.keys[1].digest), 0u);
  EXPECT_EQ(*cache.Get(c.keys[1], c.source()), c.data[1]);
  EXPECT_EQ(c.store->fetches(c.keys[1].digest), 1u);
}

TEST(ChunkCacheTest, DestructionWithWorkQueued) {
  Chunks c(64);
  auto cache = std::make_unique<ChunkCache>(Budget(64, 2));
  std::vector<PendingChunk> pending;
  for (const ChunkKey& key : c.keys) pending.push_back(cache->Prefetch(key, c.source()));
  cache.reset();  // cancels what has not started, waits for the rest
  for (size_t i = 0; i < pending.size(); ++i) {
    ASSERT_TRUE(pending[i].done());
    try {
      EXPECT_EQ(*pending[i].Wait(), c.data[i]);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kIo) << e.what();
    }
  }
}

}  // namespace
}  // namespace cairn
