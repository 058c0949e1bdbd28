// core/overlay through its public API: read-modify-write of partial blocks, zeroing and
// trimming, extents, persistence across reopen, refusal of another base, file stems.
#include "core/overlay/overlay.h"

#include <gtest/gtest.h>

#include <random>

#include "core/overlay/overlay_dir.h"
#include "core/overlay/overlay_source.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

constexpr uint64_t kBlock = kOverlayGranularity;

// A base image in memory: block i (of 64 KiB) is zeros when i % 4 == 0, else bytes i+j.
class MemorySource final : public BlockSource {
 public:
  explicit MemorySource(uint64_t size) : bytes_(size) {
    for (uint64_t i = 0; i < size; ++i)
      bytes_[i] = (i / kBlock) % 4 == 0 ? 0 : static_cast<uint8_t>(i / kBlock + i);
  }
  uint64_t size() const override { return bytes_.size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    size_t n = offset >= size() ? 0 : std::min<size_t>(out.size(), size() - offset);
    std::copy_n(bytes_.begin() + static_cast<ptrdiff_t>(offset), n, out.begin());
    return n;
  }
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override {
    std::vector<Extent> out;
    for (uint64_t at = offset, end = std::min(size(), offset + length); at < end;) {
      uint64_t next = std::min(end, (at / kBlock + 1) * kBlock);
      bool zero = (at / kBlock) % 4 == 0;
      if (!out.empty() && out.back().zero == zero)
        out.back().length += next - at;
      else
        out.push_back({at, next - at, zero});
      at = next;
    }
    return out;
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

class OverlayTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSize = 20 * kBlock + 1000;  // a partial last block
  OverlayInfo Info() const { return {"/ds", "vm/1/t/drive.img", kSize, "base-1", kBlock}; }
  std::unique_ptr<OverlaySource> Open() {
    std::shared_ptr<Overlay> overlay = Overlay::OpenOrCreate(tmp_ / "o", Info());
    return std::make_unique<OverlaySource>(overlay, std::make_unique<MemorySource>(kSize));
  }
  Bytes ReadAll(BlockSource& s) {
    Bytes out(s.size());
    EXPECT_EQ(s.Read(0, out), out.size());
    return out;
  }

  test::TempDir tmp_;
  MemorySource base_{kSize};
};

TEST_F(OverlayTest, WritesZeroesAndTrimsMatchAModelAndPersist) {
  Bytes model = base_.bytes();
  {
    auto s = Open();
    std::mt19937_64 rng(3);
    for (int i = 0; i < 200; ++i) {
      uint64_t offset = rng() % kSize;
      uint64_t length = 1 + rng() % std::min<uint64_t>(3 * kBlock, kSize - offset);
      switch (rng() % 4) {
        case 0:
        case 1: {
          Bytes data(length);
          for (auto& b : data) b = static_cast<uint8_t>(rng());
          s->Write(offset, data, false);
          std::copy(data.begin(), data.end(), model.begin() + static_cast<ptrdiff_t>(offset));
          break;
        }
        case 2:
          s->WriteZeroes(offset, length, /*may_punch=*/rng() % 2 == 0, false);
          std::fill_n(model.begin() + static_cast<ptrdiff_t>(offset), length, 0);
          break;
        case 3:
          s->Trim(offset, length, false);
          std::fill_n(model.begin() + static_cast<ptrdiff_t>(offset), length, 0);
          break;
      }
      ASSERT_TRUE(ReadAll(*s) == model) << "after operation " << i;
    }
    s->Flush();
  }
  auto reopened = Open();
  EXPECT_TRUE(ReadAll(*reopened) == model);
  // Extents tile the image and zero extents really read as zeros.
  uint64_t at = 0;
  for (const Extent& e : reopened->Extents(0, kSize)) {
    EXPECT_EQ(e.offset, at);
    if (e.zero) {
      EXPECT_TRUE(std::all_of(model.begin() + static_cast<ptrdiff_t>(e.offset),
                              model.begin() + static_cast<ptrdiff_t>(e.offset + e.length),
                              [](uint8_t b) { return b == 0; }));
    }
    at += e.length;
  }
  EXPECT_EQ(at, kSize);
}

TEST_F(OverlayTest, ExtentsFollowAllocation) {
  auto s = Open();
  s->Trim(1 * kBlock, kBlock, false);                              // data block -> hole
  s->WriteZeroes(2 * kBlock, kBlock, /*may_punch=*/false, false);  // data block -> allocated zeros
  s->Write(4 * kBlock + 10, Bytes(10, 7), false);                  // zero block -> data
  // Blocks 0, 4 and 8 of the base are zeros.
  const std::vector<Extent> want = {
      {0, 2 * kBlock, true}, {2 * kBlock, 6 * kBlock, false}, {8 * kBlock, kBlock, true}};
  EXPECT_EQ(s->Extents(0, 9 * kBlock), want);
}

TEST_F(OverlayTest, AnotherBaseIsRefused) {
  Open()->Flush();
  OverlayInfo other = Info();
  other.base_id = "base-2";
  try {
    Overlay::OpenOrCreate(tmp_ / "o", other);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("was made over vm/1/t/drive.img"), std::string::npos) << e.what();
  }
}

TEST_F(OverlayTest, UnflushedMapChangesAreNotOnDisk) {
  auto s = Open();
  s->Write(kBlock, Bytes(kBlock, 9), false);
  // A crash now: another process reading the files sees the last flushed map.
  auto ro = Overlay::OpenReadOnly(tmp_ / "o");
  MemorySource base(kSize);
  Bytes got(kBlock);
  ro->Read(base, kBlock, got);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), base_.bytes().begin() + kBlock));
  s->Flush();
  ro = Overlay::OpenReadOnly(tmp_ / "o");
  ro->Read(base, kBlock, got);
  EXPECT_EQ(got, Bytes(kBlock, 9));
}

TEST(OverlayDirTest, FileStemsAreSafeAndDistinct) {
  EXPECT_EQ(OverlayDir::FileStem("vm/100/2024-05-01T10:00:00Z/drive-scsi0.img"),
            "vm%2F100%2F2024-05-01T10%3A00%3A00Z%2Fdrive-scsi0.img");
  EXPECT_EQ(OverlayDir::FileStem("../x"), "%2E.%2Fx");
  EXPECT_EQ(OverlayDir::FileStem(""), "%");
  EXPECT_NE(OverlayDir::FileStem("a/b"), OverlayDir::FileStem("a%2Fb"));
  std::string long_name(4096, 'n');
  std::string stem = OverlayDir::FileStem(long_name);
  EXPECT_EQ(stem.size(), 200u);
  EXPECT_NE(stem, OverlayDir::FileStem(long_name + "x"));
}

TEST(OverlayDirTest, OneProcessAtATime) {
  test::TempDir tmp;
  OverlayDir first(tmp / "dir");
  // flock locks belong to the open file description: a second open in this process conflicts too.
  try {
    OverlayDir second(tmp / "dir");
    FAIL() << "expected kBusy";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBusy);
  }
}

}  // namespace
}  // namespace cairn
