#include "core/pxar/encoder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <numeric>

#include "core/util/error.h"
#include "tests/pxar/metadata.h"
#include "tests/pxar/spec_vectors.h"
#include "tests/test_support.h"

namespace cairn::pxar {
namespace {

using test::Meta;

Bytes Encode(const std::function<void(Encoder&)>& body, const Metadata& root = Meta(S_IFDIR | 0755)) {
  Bytes out;
  Encoder enc([&](ByteView b) { out.insert(out.end(), b.begin(), b.end()); }, root);
  body(enc);
  enc.Finish();
  return out;
}

TEST(PxarFormat, HashesMatchTheSpec) {
  EXPECT_EQ(HashFilename(AsBytes("")), 0x76614015f8d1bb6cULL);
  EXPECT_EQ(HashFilename(AsBytes("a")), 0x0c26e9067c2c7bcfULL);
  EXPECT_EQ(HashFilename(AsBytes("hello")), 0xb87dd821b6502e1bULL);
  EXPECT_EQ(HashFilename(AsBytes("file.txt")), 0x967764f630c3da14ULL);
  EXPECT_EQ(HashFilename(AsBytes("__PROXMOX_FORMAT_ENTRY_V2__")), kEntry);
  EXPECT_EQ(HashFilename(AsBytes("__PROXMOX_FORMAT_PXAR_GOODBYE_TAIL_MARKER__")), kGoodbyeTailMarker);
  EXPECT_EQ(HashFilename(AsBytes("__PROXMOX_FORMAT_PXAR_PAYLOAD_START_MARKER__")), kPayloadStartMarker);
}

TEST(PxarFormat, GoodbyePermutationsMatchTheSpec) {
  auto perm = [](size_t n) {
    std::vector<GoodbyeItem> items(n);
    for (size_t i = 0; i < n; ++i) items[i] = GoodbyeItem{i, i, 0};
    std::vector<uint64_t> out;
    for (const GoodbyeItem& item : BuildGoodbyeOrder(items)) out.push_back(item.offset);
    return out;
  };
  EXPECT_EQ(perm(0), (std::vector<uint64_t>{}));
  EXPECT_EQ(perm(1), (std::vector<uint64_t>{0}));
  EXPECT_EQ(perm(4), (std::vector<uint64_t>{2, 1, 3, 0}));
  EXPECT_EQ(perm(6), (std::vector<uint64_t>{3, 1, 5, 0, 2, 4}));
  EXPECT_EQ(perm(10), (std::vector<uint64_t>{6, 3, 8, 1, 5, 7, 9, 0, 2, 4}));
  EXPECT_EQ(perm(17), (std::vector<uint64_t>{9, 5, 13, 3, 7, 11, 15, 1, 4, 6, 8, 10, 12, 14, 16, 0, 2}));
}

TEST(PxarFormat, DeviceNumbersRoundTrip) {
  uint64_t dev = MakeDev(0x12345, 0x678901);
  EXPECT_EQ(DevMajor(dev), 0x12345u);
  EXPECT_EQ(DevMinor(dev), 0x678901u);
  EXPECT_EQ(MakeDev(1, 3), 0x103u);
}

TEST(PxarEncoder, EmptyRootIsTheSpecsNinetySixBytes) {
  Bytes out = Encode([](Encoder&) {});
  EXPECT_EQ(out, test::Hex("efac88e5746495d5 3800000000000000 ed41000000000000 0000000000000000"
                           "0000000000000000 0000000000000000 0000000000000000"
                           "1d73d542a64fec2f 2800000000000000 55153e755bed5eef 3800000000000000 2800000000000000"));
}

TEST(PxarEncoder, OneFileIsTheSpecsWorkedExample) {
  Bytes out = Encode([](Encoder& enc) {
    enc.BeginFile("a", Meta(S_IFREG | 0644), 2);
    enc.WriteFileData(AsBytes("hi"));
    enc.EndFile();
  });
  EXPECT_EQ(out, test::Hex(
                     "efac88e5746495d5 3800000000000000 ed41000000000000 0000000000000000 0000000000000000"
                     "0000000000000000 0000000000000000 b317390621117016 1200000000000000 6100"
                     "efac88e5746495d5 3800000000000000 a481000000000000 0000000000000000 0000000000000000"
                     "0000000000000000 0000000000000000 251a7c0b1b7a1428 1200000000000000 6869"
                     "1d73d542a64fec2f 4000000000000000 cf7b2c7c06e9260c 5c00000000000000 5c00000000000000"
                     "55153e755bed5eef 9400000000000000 4000000000000000"));
}

TEST(PxarEncoder, SplitArchiveIsTheSpecsWorkedExample) {
  Bytes meta, payload;
  Encoder enc([&](ByteView b) { meta.insert(meta.end(), b.begin(), b.end()); }, Meta(S_IFDIR | 0755),
              [&](ByteView b) { payload.insert(payload.end(), b.begin(), b.end()); }, "P");
  uint64_t a = enc.BeginFile("a", Meta(S_IFREG | 0644), 2);
  enc.WriteFileData(AsBytes("hi"));
  enc.EndFile();
  enc.AddHardlink("b", "a", a);
  enc.Finish();
  EXPECT_EQ(meta, test::Hex(test::kSplitExampleMeta));
  EXPECT_EQ(payload, test::Hex(test::kSplitExamplePayload));
}

TEST(PxarEncoder, RefusesMisuse) {
  Bytes sink;
  Encoder enc([&](ByteView b) { sink.insert(sink.end(), b.begin(), b.end()); }, Meta(S_IFDIR | 0755));
  EXPECT_THROW(enc.AddSpecial("..", Meta(S_IFIFO | 0644)), Error);
  EXPECT_THROW(enc.AddSpecial("a/b", Meta(S_IFIFO | 0644)), Error);
  EXPECT_THROW(enc.AddSpecial("f", Meta(S_IFREG | 0644)), Error);
  EXPECT_THROW(enc.AddHardlink("h", "x", 1000), Error);
  EXPECT_THROW(enc.EndDirectory(), Error);
  enc.BeginFile("f", Meta(S_IFREG | 0644), 3);
  EXPECT_THROW(enc.AddSpecial("g", Meta(S_IFIFO | 0644)), Error);
  EXPECT_THROW(enc.WriteFileData(AsBytes("abcd")), Error);
  enc.WriteFileData(AsBytes("ab"));
  EXPECT_THROW(enc.EndFile(), Error);
  EXPECT_THROW(Encoder([](ByteView) {}, Meta(S_IFREG | 0644)), Error);
}

}  // namespace
}  // namespace cairn::pxar
