#include "core/format/dynamic_index.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "core/format/dynamic_index_writer.h"
#include "core/util/error.h"
#include "core/util/hex.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

constexpr int64_t kVectorCtime = 1718000000;
const IndexUuid kUuid = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// The message of the kCorrupt error `action` must throw.
template <typename Action>
std::string CorruptionMessageOf(Action action) {
  std::optional<Error> error;
  try {
    action();
  } catch (const Error& e) {
    error = e;
  }
  if (!error) {
    ADD_FAILURE() << "no error";
    return {};
  }
  EXPECT_EQ(error->kind(), ErrorKind::kCorrupt) << error->what();
  return error->what();
}

std::string CorruptionMessage(ByteView file) {
  return CorruptionMessageOf([&] { DynamicIndex::Parse(file); });
}

// The synthetic didx of spec §10.6: "hello" then " world".
DynamicIndexWriter VectorWriter() {
  DynamicIndexWriter writer;
  writer.Add(5, Sha256(AsBytes("hello")));
  writer.Add(11, Sha256(AsBytes(" world")));
  return writer;
}

// A didx whose entry area is exactly `entries` and whose csum matches it.
Bytes FileWithEntries(ByteView entries) {
  Bytes file = NewIndexHeader(kDynamicIndexMagic, {kUuid, 0, Sha256(entries)});
  file.insert(file.end(), entries.begin(), entries.end());
  return file;
}

TEST(DynamicIndexTest, SpecVectorBytes) {
  DynamicIndexWriter writer = VectorWriter();
  EXPECT_EQ(writer.size(), 11u);
  EXPECT_EQ(writer.chunk_count(), 2u);
  EXPECT_EQ(ToHex(writer.csum()), "9b2fd908141c00eaabcc62853152a71a5db06f0b722ff557a0a50352eb6c22cd");

  Bytes file = writer.Finish(kUuid, kVectorCtime);
  ASSERT_EQ(file.size(), 4176u);
  EXPECT_EQ(ToHex(ByteView(file).first(64)),
            "1c914ea519bab3cd000102030405060708090a0b0c0d0e0f8099666600000000"
            "9b2fd908141c00eaabcc62853152a71a5db06f0b722ff557a0a50352eb6c22cd");
  for (size_t i = 64; i < 4096; ++i) ASSERT_EQ(file[i], 0) << i;
  EXPECT_EQ(
      ToHex(ByteView(file).subspan(4096)),
      ToHex(test::Hex("0500000000000000 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 "
                      "0b00000000000000 045f13dd864bafaad0dd977ac971de549b090cb2836f061d0779b26dd9bb8f4b")));
  EXPECT_EQ(ToHex(Sha256(file)), "4a0889e5b2740a4e50f88e938acaea39826239edf87dd6297c061a7ad9f23702");
}

TEST(DynamicIndexTest, SpecVectorParses) {
  DynamicIndex index = DynamicIndex::Parse(VectorWriter().Finish(kUuid, kVectorCtime));
  EXPECT_EQ(index.uuid(), kUuid);
  EXPECT_EQ(index.ctime(), kVectorCtime);
  EXPECT_EQ(ToHex(index.csum()), "9b2fd908141c00eaabcc62853152a71a5db06f0b722ff557a0a50352eb6c22cd");
  EXPECT_EQ(index.size(), 11u);
  ASSERT_EQ(index.chunk_count(), 2u);
  EXPECT_EQ(index.digest(0), Sha256(AsBytes("hello")));
  EXPECT_EQ(index.digest(1), Sha256(AsBytes(" world")));
  EXPECT_EQ(index.chunk_offset(0), 0u);
  EXPECT_EQ(index.chunk_length(0), 5u);
  EXPECT_EQ(index.chunk_end(0), 5u);
  EXPECT_EQ(index.chunk_offset(1), 5u);
  EXPECT_EQ(index.chunk_length(1), 6u);
  EXPECT_EQ(index.chunk_end(1), 11u);
  const std::pair<uint64_t, size_t> at[] = {{0, 0}, {4, 0}, {5, 1}, {10, 1}, {11, 2}, {UINT64_MAX, 2}};
  for (auto [offset, chunk] : at) EXPECT_EQ(index.ChunkIndexAt(offset), chunk) << offset;
}

TEST(DynamicIndexTest, EmptyIndex) {
  DynamicIndexWriter writer;
  EXPECT_EQ(writer.size(), 0u);
  Bytes file = writer.Finish(kUuid, 1);
  ASSERT_EQ(file.size(), 4096u);
  DynamicIndex index = DynamicIndex::Parse(file);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.chunk_count(), 0u);
  EXPECT_EQ(index.csum(), Sha256({}));
  EXPECT_EQ(index.ChunkIndexAt(0), 0u);
}

TEST(DynamicIndexTest, RoundTripAndBinarySearch) {
  std::mt19937_64 rng(11);
  DynamicIndexWriter writer;
  std::vector<uint64_t> ends;
  std::vector<Digest> digests;
  uint64_t end = 0;
  for (int i = 0; i < 1000; ++i) {
    end += 1 + rng() % (i % 7 == 0 ? 3 : 1 << 22);  // include 1-byte chunks
    Digest d;
    for (auto& b : d) b = static_cast<uint8_t>(rng());
    writer.Add(end, d);
    ends.push_back(end);
    digests.push_back(d);
  }
  Bytes file = writer.Finish(kUuid, -1);
  ASSERT_EQ(file.size(), 4096u + 40 * 1000);
  DynamicIndex index = DynamicIndex::Parse(file);
  EXPECT_EQ(index.ctime(), -1);
  EXPECT_EQ(index.csum(), writer.csum());
  EXPECT_EQ(index.size(), end);
  ASSERT_EQ(index.chunk_count(), 1000u);
  uint64_t start = 0;
  for (size_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(index.digest(i), digests[i]);
    EXPECT_EQ(index.chunk_offset(i), start);
    EXPECT_EQ(index.chunk_length(i), ends[i] - start);
    EXPECT_EQ(index.ChunkIndexAt(start), i);
    EXPECT_EQ(index.ChunkIndexAt(ends[i] - 1), i);
    start = ends[i];
  }
  EXPECT_EQ(index.ChunkIndexAt(end), 1000u);

  DynamicIndexWriter again;
  for (size_t i = 0; i < index.chunk_count(); ++i) again.Add(index.chunk_end(i), index.digest(i));
  EXPECT_EQ(again.Finish(index.uuid(), index.ctime()), file);
}

// Every byte flipped: magic, csum and entries give an error; uuid, ctime and the reserved
// area are not checked and parse with the changed value.
TEST(DynamicIndexTest, EveryCorruptedByte) {
  const Bytes file = VectorWriter().Finish(kUuid, kVectorCtime);
  for (size_t pos = 0; pos < file.size(); ++pos) {
    for (uint8_t flip : {0x01, 0x20, 0x80, 0xff}) {
      Bytes bad = file;
      bad[pos] ^= flip;
      if ((pos >= 8 && pos < 32) || (pos >= 64 && pos < 4096)) {
        DynamicIndex index = DynamicIndex::Parse(bad);
        EXPECT_EQ(index.ctime(), LoadLE<int64_t>(bad.data() + 24)) << pos;
        EXPECT_EQ(index.size(), 11u) << pos;
      } else {
        CorruptionMessage(bad);
      }
    }
  }
}

TEST(DynamicIndexTest, EveryTruncationAndExtension) {
  const Bytes file = VectorWriter().Finish(kUuid, kVectorCtime);
  Bytes padded = file;
  padded.resize(file.size() + 80, 0);  // up to two more (zero) entries
  for (size_t len = 0; len <= padded.size(); ++len) {
    if (len != file.size()) CorruptionMessage(ByteView(padded).first(len));
  }
  EXPECT_EQ(CorruptionMessage(ByteView(file).first(4095)),
            "dynamic index is 4095 bytes, shorter than its 4096-byte header");
  EXPECT_EQ(CorruptionMessage(ByteView(file).first(4175)),
            "dynamic index is 4175 bytes; its entry area of 79 bytes is not a multiple of 40");
  EXPECT_EQ(CorruptionMessage(ByteView(file).first(4136)),
            "dynamic index checksum mismatch (stored "
            "9b2fd908141c00eaabcc62853152a71a5db06f0b722ff557a0a50352eb6c22cd, "
            "computed " +
                ToHex(Sha256(ByteView(file).subspan(4096, 40))) + ")");
}

TEST(DynamicIndexTest, EndsMustIncrease) {
  Bytes entries = test::Hex(
      "0500000000000000 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 "
      "0500000000000000 045f13dd864bafaad0dd977ac971de549b090cb2836f061d0779b26dd9bb8f4b");
  EXPECT_EQ(CorruptionMessage(FileWithEntries(entries)),
            "dynamic index entry 1 ends at 5, not after the previous end 5");
  StoreLE<uint64_t>(entries.data() + 40, 4);
  EXPECT_EQ(CorruptionMessage(FileWithEntries(entries)),
            "dynamic index entry 1 ends at 4, not after the previous end 5");
  StoreLE<uint64_t>(entries.data(), 0);
  EXPECT_EQ(CorruptionMessage(FileWithEntries(entries)),
            "dynamic index entry 0 ends at 0, not after the previous end 0");
  StoreLE<uint64_t>(entries.data(), 3);
  EXPECT_EQ(DynamicIndex::Parse(FileWithEntries(entries)).size(), 4u);
}

TEST(DynamicIndexTest, WrongMagic) {
  Bytes file = VectorWriter().Finish(kUuid, 0);
  file[7] = 0;
  EXPECT_EQ(CorruptionMessage(file),
            "not a dynamic index: magic is 1c914ea519bab300, expected 1c914ea519bab3cd");
  std::copy(kFixedIndexMagic.begin(), kFixedIndexMagic.end(), file.begin());
  CorruptionMessage(file);
}

TEST(DynamicIndexTest, WriterRejectsNonIncreasingEnds) {
  DynamicIndexWriter writer;
  try {
    writer.Add(0, Digest{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_STREQ(e.what(), "dynamic index entry ending at 0 does not come after the previous end 0");
  }
  writer.Add(10, Digest{});
  EXPECT_THROW(writer.Add(10, Digest{}), Error);
  EXPECT_THROW(writer.Add(9, Digest{}), Error);
  EXPECT_EQ(writer.chunk_count(), 1u);
  EXPECT_EQ(writer.size(), 10u);
  writer.Add(11, Digest{});
  EXPECT_EQ(DynamicIndex::Parse(writer.Finish(kUuid, 0)).chunk_count(), 2u);
}

TEST(DynamicIndexTest, OpenNamesThePath) {
  test::TempDir dir;
  const Bytes file = VectorWriter().Finish(kUuid, kVectorCtime);
  test::WriteFileBytes(dir / "root.pxar.didx", file);
  EXPECT_EQ(DynamicIndex::Open(dir / "root.pxar.didx").size(), 11u);

  test::WriteFileBytes(dir / "bad.didx", ByteView(file).first(4100));
  EXPECT_EQ(CorruptionMessageOf([&] { DynamicIndex::Open(dir / "bad.didx"); }),
            (dir / "bad.didx").string() +
                ": dynamic index is 4100 bytes; its entry area of 4 bytes is not a multiple of 40");
  // The not-found path is shared with FixedIndex::Open (OpenIndexFile) and tested there.
  EXPECT_THROW(DynamicIndex::Open(dir / "missing.didx"), Error);
}

}  // namespace
}  // namespace cairn
