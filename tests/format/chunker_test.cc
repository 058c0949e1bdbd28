#include "core/format/chunker.h"

#include <gtest/gtest.h>

#include <bit>
#include <random>

#include "core/crypto/sha256.h"
#include "core/util/error.h"
#include "core/util/hex.h"

namespace cairn {
namespace {

using Sizes = std::vector<size_t>;

// Chunk sizes of `data` fed to a chunker in pieces of `piece` bytes (0: all at once).
Sizes ChunkSizes(ByteView data, size_t avg, size_t piece = 0) {
  Chunker chunker(avg);
  Sizes sizes;
  size_t current = 0;  // bytes of the open chunk
  for (size_t at = 0; at < data.size();) {
    ByteView part = data.subspan(at, piece == 0 ? data.size() - at : std::min(piece, data.size() - at));
    size_t cut = chunker.Scan(part);
    if (cut == 0) {
      current += part.size();
      at += part.size();
    } else {
      sizes.push_back(current + cut);
      current = 0;
      at += cut;
    }
  }
  if (current > 0) sizes.push_back(current);
  return sizes;
}

// The algorithm of spec §7.2 written the obvious way, one byte at a time.
Sizes ReferenceChunkSizes(ByteView data, size_t avg) {
  const auto& table = BuzhashTable();
  const size_t min = avg / 4, max = avg * 4;
  const uint32_t mask = static_cast<uint32_t>(2 * avg - 1), threshold = mask - 2;
  uint8_t window[64];
  uint32_t h = 0;
  size_t size = 0;
  Sizes sizes;
  for (uint8_t b : data) {
    if (size < 64) {
      window[size++] = b;
      h = std::rotl(h, 1) ^ table[b];
      continue;
    }
    size_t idx = size % 64;
    h = std::rotl(h, 1) ^ table[window[idx]] ^ table[b];
    window[idx] = b;
    ++size;
    if (size >= max || (size >= min && (h & mask) >= threshold)) {
      sizes.push_back(size);
      size = 0;
      h = 0;
    }
  }
  if (size > 0) sizes.push_back(size);
  return sizes;
}

// Spec §10.4 buffer A: u32 LE counters 0, 1, 2, ... filling `bytes`.
Bytes CounterBuffer(size_t bytes) {
  Bytes out(bytes);
  for (size_t i = 0; i < bytes / 4; ++i) StoreLE<uint32_t>(out.data() + 4 * i, static_cast<uint32_t>(i));
  return out;
}

// Spec §10.4 buffer B: SHA-256(u64 LE i) for i = 0, 1, 2, ... truncated to `bytes`.
Bytes HashBuffer(size_t bytes) {
  Bytes out;
  out.reserve(bytes + 32);
  for (uint64_t i = 0; out.size() < bytes; ++i) {
    uint8_t le[8];
    StoreLE<uint64_t>(le, i);
    Digest d = Sha256(ByteView(le, 8));
    out.insert(out.end(), d.begin(), d.end());
  }
  out.resize(bytes);
  return out;
}

Bytes RandomBuffer(size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(bytes);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

TEST(ChunkerTest, TableMatchesSpec) {
  Bytes serialised;
  for (uint32_t v : BuzhashTable()) AppendLE<uint32_t>(serialised, v);
  EXPECT_EQ(ToHex(Sha256(serialised)), "5b52080d38287da9d2e278466e3e0db7ec98e5e8b226f50612a56fa012b1f660");
  EXPECT_EQ(BuzhashTable()[0], 0x458be752u);
  EXPECT_EQ(BuzhashTable()[255], 0xd95ddf11u);
}

TEST(ChunkerTest, VectorCounters1MiBAvg64KiB) {
  Bytes a = CounterBuffer(1 << 20);
  EXPECT_EQ(ChunkSizes(a, 64 << 10), (Sizes{143377, 262144, 262144, 262144, 118767}));
}

TEST(ChunkerTest, VectorHashes16MiBAvg4MiB) {
  Bytes b = HashBuffer(16 << 20);
  EXPECT_EQ(ChunkSizes(b, Chunker::kDefaultAverage),
            (Sizes{1073993, 2680757, 1087418, 1184477, 7129457, 2835505, 785609}));
}

TEST(ChunkerTest, VectorHashes4MiBAvg512KiB) {
  Bytes b = HashBuffer(4 << 20);
  EXPECT_EQ(ChunkSizes(b, Chunker::kCatalogAverage),
            (Sizes{774232, 299761, 206820, 170345, 268974, 280515, 371031, 330758, 240758, 285195, 526361,
                   214543, 225011}));
}

TEST(ChunkerTest, VectorCounters16MiBAvg4MiBIsOneMaximalChunk) {
  Bytes a = CounterBuffer(16 << 20);
  Chunker chunker(Chunker::kDefaultAverage);
  // The forced cut at max falls on the very last byte.
  EXPECT_EQ(chunker.Scan(ByteView(a).first(a.size() - 1)), 0u);
  EXPECT_EQ(chunker.Scan(ByteView(a).last(1)), 1u);
  EXPECT_EQ(ChunkSizes(a, Chunker::kDefaultAverage), (Sizes{16 << 20}));
}

TEST(ChunkerTest, ByteByByteEqualsWholeBuffer) {
  Bytes a = CounterBuffer(1 << 20);
  EXPECT_EQ(ChunkSizes(a, 64 << 10, 1), ChunkSizes(a, 64 << 10));
  Bytes r = RandomBuffer(1 << 20, 7);
  EXPECT_EQ(ChunkSizes(r, 4096, 1), ChunkSizes(r, 4096));
}

TEST(ChunkerTest, AnyPieceSizeEqualsWholeBuffer) {
  Bytes b = HashBuffer(4 << 20);
  Sizes whole = ChunkSizes(b, Chunker::kCatalogAverage);
  for (size_t piece : {63, 64, 65, 127, 4096, 65537, 1 << 20}) {
    EXPECT_EQ(ChunkSizes(b, Chunker::kCatalogAverage, piece), whole) << piece;
  }
}

TEST(ChunkerTest, MatchesReferenceAlgorithm) {
  Bytes r = RandomBuffer(2 << 20, 1);
  // 64..256 exercise minimums below the 65-byte first test; 4096 gives many ordinary cuts.
  for (size_t avg : {64, 128, 256, 512, 4096, 65536}) {
    Sizes expected = ReferenceChunkSizes(r, avg);
    EXPECT_EQ(ChunkSizes(r, avg), expected) << avg;
    EXPECT_EQ(ChunkSizes(r, avg, 100), expected) << avg;
  }
  Bytes zeros(1 << 20, 0);  // no content-defined cut: only forced ones
  EXPECT_EQ(ChunkSizes(zeros, 4096), ReferenceChunkSizes(zeros, 4096));
  EXPECT_EQ(ChunkSizes(zeros, 4096), Sizes(64, 16384));
}

TEST(ChunkerTest, ChunksRespectMinAndMax) {
  Bytes r = RandomBuffer(4 << 20, 3);
  Chunker probe(16384);
  EXPECT_EQ(probe.min_size(), 4096u);
  EXPECT_EQ(probe.max_size(), 65536u);
  Sizes sizes = ChunkSizes(r, 16384);
  ASSERT_GT(sizes.size(), 50u);
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    EXPECT_GE(sizes[i], 4096u);
    EXPECT_LE(sizes[i], 65536u);
  }
}

TEST(ChunkerTest, ResetStartsANewChunk) {
  Bytes r = RandomBuffer(1 << 20, 5);
  Chunker chunker(4096);
  EXPECT_EQ(chunker.Scan(ByteView(r).first(100)), 0u);
  chunker.Reset();
  Chunker fresh(4096);
  EXPECT_EQ(chunker.Scan(r), fresh.Scan(r));
}

TEST(ChunkerTest, EmptyInputAndInvalidAverage) {
  Chunker chunker(4096);
  EXPECT_EQ(chunker.Scan({}), 0u);
  for (size_t avg : {0, 1, 32, 3000, 65535}) {
    try {
      Chunker bad(avg);
      ADD_FAILURE() << avg;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }
  }
}

}  // namespace
}  // namespace cairn
