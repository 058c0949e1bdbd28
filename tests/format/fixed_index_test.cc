#include "core/format/fixed_index.h"

#include <gtest/gtest.h>

#include <random>

#include "core/format/fixed_index_writer.h"
#include "core/util/error.h"
#include "core/util/hex.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

IndexUuid SequentialUuid() {
  IndexUuid uuid;
  for (size_t i = 0; i < uuid.size(); ++i) uuid[i] = static_cast<uint8_t>(i);
  return uuid;
}

Digest DigestFromHex(std::string_view hex) {
  Bytes b = test::Hex(hex);
  Digest d;
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

std::vector<Digest> RandomDigests(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Digest> out(n);
  for (auto& d : out) {
    for (auto& b : d) b = static_cast<uint8_t>(rng());
  }
  return out;
}

// The message of the kCorrupt error Parse throws; fails the test when it does not throw one.
std::string ParseError(ByteView file) {
  try {
    FixedIndex::Parse(file);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "parse succeeded";
  return "";
}

// The synthetic fidx of spec §10.6: a 4 MiB zero chunk and a 1-byte chunk of 00.
constexpr uint64_t kVectorSize = 4194305;
constexpr uint64_t kVectorChunkSize = 4194304;
constexpr int64_t kVectorCtime = 1718000000;

std::vector<Digest> VectorDigests() {
  return {DigestFromHex("bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8"),
          DigestFromHex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")};
}

Bytes VectorFile() {
  return SerializeFixedIndex(SequentialUuid(), kVectorCtime, kVectorSize, kVectorChunkSize, VectorDigests());
}

TEST(FixedIndexTest, SpecVectorBytes) {
  std::vector<Digest> digests = VectorDigests();
  EXPECT_EQ(digests[0], Sha256(Bytes(4 << 20, 0)));
  EXPECT_EQ(digests[1], Sha256(Bytes{0}));

  Bytes file = VectorFile();
  ASSERT_EQ(file.size(), 4160u);
  EXPECT_EQ(ToHex(ByteView(file).first(80)),
            ToHex(test::Hex("2f7f41ed91fd0fcd 000102030405060708090a0b0c0d0e0f 8099666600000000 "
                            "14a4d47f23a30177885d9820122f17d2d3a55fe63f7f5c27b95f689e0b2accd6 "
                            "0100400000000000 0000400000000000")));
  for (size_t i = 80; i < 4096; ++i) ASSERT_EQ(file[i], 0) << i;
  EXPECT_EQ(ToHex(ByteView(file).subspan(4096, 32)), ToHex(digests[0]));
  EXPECT_EQ(ToHex(ByteView(file).subspan(4128, 32)), ToHex(digests[1]));
  EXPECT_EQ(ToHex(Sha256(file)), "bbf433522c850becf4606cf225f9facc743b5d0c09a93485421cc60b9005422f");
  EXPECT_EQ(ToHex(FixedIndex::ComputeCsum(digests)),
            "14a4d47f23a30177885d9820122f17d2d3a55fe63f7f5c27b95f689e0b2accd6");
}

TEST(FixedIndexTest, SpecVectorParses) {
  FixedIndex index = FixedIndex::Parse(VectorFile());
  EXPECT_EQ(index.uuid(), SequentialUuid());
  EXPECT_EQ(index.ctime(), kVectorCtime);
  EXPECT_EQ(index.size(), kVectorSize);
  EXPECT_EQ(index.chunk_size(), kVectorChunkSize);
  EXPECT_EQ(ToHex(index.csum()), "14a4d47f23a30177885d9820122f17d2d3a55fe63f7f5c27b95f689e0b2accd6");
  ASSERT_EQ(index.chunk_count(), 2u);
  EXPECT_EQ(index.digests(), VectorDigests());
  EXPECT_EQ(index.digest(1), VectorDigests()[1]);
  EXPECT_EQ(index.chunk_offset(0), 0u);
  EXPECT_EQ(index.chunk_length(0), kVectorChunkSize);
  EXPECT_EQ(index.chunk_offset(1), kVectorChunkSize);
  EXPECT_EQ(index.chunk_length(1), 1u);
  EXPECT_EQ(index.ChunkIndexAt(0), 0u);
  EXPECT_EQ(index.ChunkIndexAt(kVectorChunkSize - 1), 0u);
  EXPECT_EQ(index.ChunkIndexAt(kVectorChunkSize), 1u);
  EXPECT_EQ(index.ChunkIndexAt(kVectorSize), 2u);
  EXPECT_EQ(index.ChunkIndexAt(UINT64_MAX), 2u);
}

TEST(FixedIndexTest, RoundTripAndPartialLastChunk) {
  for (uint64_t chunk_size : {uint64_t{1}, uint64_t{4096}, uint64_t{65536}, kMaxFixedChunkSize}) {
    for (uint64_t size : {uint64_t{1}, chunk_size * 5 - 1, chunk_size * 5, chunk_size * 5 + 1}) {
      const size_t count = static_cast<size_t>((size + chunk_size - 1) / chunk_size);
      std::vector<Digest> digests = RandomDigests(count, static_cast<uint32_t>(size));
      Bytes file = SerializeFixedIndex(SequentialUuid(), -5, size, chunk_size, digests);
      ASSERT_EQ(file.size(), 4096 + 32 * count);
      FixedIndex index = FixedIndex::Parse(file);
      EXPECT_EQ(index.ctime(), -5);
      EXPECT_EQ(index.size(), size);
      EXPECT_EQ(index.digests(), digests);
      EXPECT_EQ(index.csum(), FixedIndex::ComputeCsum(digests));
      EXPECT_EQ(
          SerializeFixedIndex(index.uuid(), index.ctime(), index.size(), index.chunk_size(), index.digests()),
          file);

      uint64_t total = 0;
      for (size_t i = 0; i < count; ++i) {
        EXPECT_EQ(index.chunk_offset(i), total);
        EXPECT_EQ(index.ChunkIndexAt(total), i);
        EXPECT_EQ(index.ChunkIndexAt(total + index.chunk_length(i) - 1), i);
        total += index.chunk_length(i);
      }
      EXPECT_EQ(total, size);
      const uint64_t last = size % chunk_size == 0 ? chunk_size : size % chunk_size;
      EXPECT_EQ(index.chunk_length(count - 1), last);
      EXPECT_EQ(index.ChunkIndexAt(size), count);
    }
  }
}

TEST(FixedIndexTest, TenChunksAndABit) {
  const uint64_t size = 10 * 65536 + 123;
  Bytes file = SerializeFixedIndex(SequentialUuid(), 0, size, 65536, RandomDigests(11, 1));
  FixedIndex index = FixedIndex::Parse(file);
  EXPECT_EQ(index.chunk_count(), 11u);
  EXPECT_EQ(index.chunk_offset(10), 655360u);
  EXPECT_EQ(index.chunk_length(9), 65536u);
  EXPECT_EQ(index.chunk_length(10), 123u);
  EXPECT_EQ(index.ChunkIndexAt(655359), 9u);
  EXPECT_EQ(index.ChunkIndexAt(655360), 10u);
  EXPECT_EQ(index.ChunkIndexAt(size - 1), 10u);
  EXPECT_EQ(index.ChunkIndexAt(size), 11u);
}

// Every byte of the fields and digests, flipped in several ways: checked fields give an
// error, unchecked ones (uuid, ctime, reserved) parse with the changed value; nothing crashes.
TEST(FixedIndexTest, EveryCorruptedByte) {
  const Bytes file = VectorFile();
  const FixedIndex good = FixedIndex::Parse(file);
  for (size_t pos = 0; pos < file.size(); ++pos) {
    for (uint8_t flip : {0x01, 0x20, 0x80, 0xff}) {
      Bytes bad = file;
      bad[pos] ^= flip;
      const bool unchecked = (pos >= 8 && pos < 32) || (pos >= 80 && pos < 4096);
      bool checked_size_ok = false;
      if (pos >= 64 && pos < 72) {  // size: only noticed when the chunk count changes
        uint64_t size = LoadLE<uint64_t>(bad.data() + 64);
        checked_size_ok = size > kVectorChunkSize && size <= 2 * kVectorChunkSize;
      }
      if (unchecked || checked_size_ok) {
        FixedIndex index = FixedIndex::Parse(bad);
        EXPECT_EQ(index.digests(), good.digests()) << pos;
        EXPECT_EQ(index.size(), LoadLE<uint64_t>(bad.data() + 64)) << pos;
        EXPECT_EQ(index.ctime(), LoadLE<int64_t>(bad.data() + 24)) << pos;
      } else {
        ParseError(bad);
      }
    }
  }
}

TEST(FixedIndexTest, EveryTruncationAndExtension) {
  const Bytes file = VectorFile();
  for (size_t len = 0; len < file.size(); ++len) ParseError(ByteView(file).first(len));
  for (size_t extra = 1; extra <= 64; ++extra) {
    Bytes longer = file;
    longer.resize(file.size() + extra, 0);
    ParseError(longer);
  }
  EXPECT_EQ(ParseError(ByteView(file).first(100)),
            "fixed index is 100 bytes, shorter than its 4096-byte header");
  EXPECT_EQ(ParseError(ByteView(file).first(4128)),
            "fixed index is 4128 bytes, but size 4194305 at chunk size 4194304 needs 2 digests "
            "(4096 + 32 * 2 bytes)");
}

// A file with the given header fields and `count` digests (csum correct), for field checks.
Bytes FileWith(uint64_t size, uint64_t chunk_size, size_t count) {
  std::vector<Digest> digests = RandomDigests(count, 9);
  Bytes file = NewIndexHeader(kFixedIndexMagic, {SequentialUuid(), 0, FixedIndex::ComputeCsum(digests)});
  StoreLE<uint64_t>(file.data() + kFixedIndexSizeOffset, size);
  StoreLE<uint64_t>(file.data() + kFixedIndexChunkSizeOffset, chunk_size);
  for (const Digest& d : digests) file.insert(file.end(), d.begin(), d.end());
  return file;
}

TEST(FixedIndexTest, FieldChecks) {
  EXPECT_NO_THROW(FixedIndex::Parse(FileWith(3000000, 1 << 20, 3)));
  EXPECT_EQ(ParseError(FileWith(3000000, 1000000, 3)),
            "fixed index chunk size 1000000 is not a power of two between 1 and 16777216");
  EXPECT_EQ(ParseError(FileWith(3000000, 0, 3)),
            "fixed index chunk size 0 is not a power of two between 1 and 16777216");
  EXPECT_EQ(ParseError(FileWith(3000000, 32 << 20, 1)),
            "fixed index chunk size 33554432 is not a power of two between 1 and 16777216");
  EXPECT_EQ(ParseError(FileWith(0, 1 << 20, 0)), "fixed index has size 0");
  // A hostile size must not overflow the length computation.
  EXPECT_EQ(ParseError(FileWith(UINT64_MAX, 1, 1)),
            "fixed index is 4128 bytes, but size 18446744073709551615 at chunk size 1 needs "
            "18446744073709551615 digests (4096 + 32 * 18446744073709551615 bytes)");

  Bytes wrong_csum = VectorFile();
  wrong_csum[32] ^= 1;
  EXPECT_EQ(ParseError(wrong_csum),
            "fixed index checksum mismatch (stored "
            "15a4d47f23a30177885d9820122f17d2d3a55fe63f7f5c27b95f689e0b2accd6, "
            "computed 14a4d47f23a30177885d9820122f17d2d3a55fe63f7f5c27b95f689e0b2accd6)");
}

TEST(FixedIndexTest, WrongMagic) {
  Bytes file = VectorFile();
  file[0] = 0x1c;
  EXPECT_EQ(ParseError(file), "not a fixed index: magic is 1c7f41ed91fd0fcd, expected 2f7f41ed91fd0fcd");
  Bytes didx_magic = VectorFile();
  std::copy(kDynamicIndexMagic.begin(), kDynamicIndexMagic.end(), didx_magic.begin());
  ParseError(didx_magic);
}

TEST(FixedIndexTest, WriterRejectsInvalidInput) {
  auto kind_of = [](uint64_t size, uint64_t chunk_size, size_t count) {
    try {
      SerializeFixedIndex(SequentialUuid(), 0, size, chunk_size, RandomDigests(count, 2));
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::kCorrupt;  // not thrown
  };
  EXPECT_EQ(kind_of(0, 4096, 0), ErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of(4096, 4096, 2), ErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of(4097, 4096, 1), ErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of(4096, 3000, 2), ErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of(4096, 0, 1), ErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of(32 << 20, 32 << 20, 1), ErrorKind::kInvalidInput);
}

TEST(FixedIndexTest, OpenNamesThePath) {
  test::TempDir dir;
  test::WriteFileBytes(dir / "a.img.fidx", VectorFile());
  FixedIndex index = FixedIndex::Open(dir / "a.img.fidx");
  EXPECT_EQ(index.digests(), VectorDigests());

  Bytes bad = VectorFile();
  bad.pop_back();
  test::WriteFileBytes(dir / "bad.img.fidx", bad);
  try {
    FixedIndex::Open(dir / "bad.img.fidx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(e.what(),
              (dir / "bad.img.fidx").string() +
                  ": fixed index is 4159 bytes, but size 4194305 at chunk size 4194304 needs 2 digests "
                  "(4096 + 32 * 2 bytes)");
  }
  try {
    FixedIndex::Open(dir / "missing.img.fidx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find((dir / "missing.img.fidx").string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(FixedIndex::Open(dir.path()), Error);
}

}  // namespace
}  // namespace cairn
