// A fixture for read-ahead tests of file-archive browsing: an archive of ten 1000-byte
// chunks of distinct random bytes, whose reader never reads ahead by itself, behind a cache
// large enough to evict nothing.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "core/read/stream_reader.h"
#include "tests/read/memory_archive.h"

namespace cairn::test {

class TenChunkArchiveTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kChunk = 1000;

  TenChunkArchiveTest()
      : reader_(StoreDynamicStream(*store_, Data(), Ends()), cache_, {store_, nullptr}, "root.pxar.didx",
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

  std::shared_ptr<MemoryChunkStore> store_ = std::make_shared<MemoryChunkStore>();
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

}  // namespace cairn::test
