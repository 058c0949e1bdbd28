// Copy-on-write overlays on a full disk: a write that does not fit fails with ENOSPC, the
// server keeps serving, what was flushed before survives a restart, and neither the overlay
// nor `cairn overlay export` leaves a half-written file under a final name.
#include <libnbd.h>

#include <algorithm>
#include <cerrno>

#include "core/overlay/overlay_dir.h"
#include "tests/nbd/libnbd_handle.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// The names in `dir`, sorted.
std::vector<std::string> Names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 13 + (i >> 10));
  return b;
}

class OverlayDiskFullTest : public NbdTest {};

TEST_F(OverlayDiskFullTest, WritesFailWithEnospcAndFlushedDataSurvives) {
  // 4 MiB hold the overlay's small files and less than 4 MiB of written blocks.
  SmallDisk small(tmp_ / "small", "4m");
  const std::string overlays = (small.path() / "overlays").string();
  const std::string stem = OverlayDir::FileStem(kExportA);
  StartServer({"--overlay", overlays});
  Bytes expected = data_.image_a;
  const Bytes flushed = Pattern(kMiB, 1);
  uint64_t failed_at = 0;
  {
    Handle h(Uri(kExportA));
    ASSERT_TRUE(h.ok()) << h.error();
    ASSERT_EQ(nbd_pwrite(h.get(), flushed.data(), flushed.size(), 0, 0), 0) << nbd_get_error();
    ASSERT_EQ(nbd_flush(h.get(), 0), 0) << nbd_get_error();
    std::copy(flushed.begin(), flushed.end(), expected.begin());
    // Megabyte after megabyte until the disk is full: the client is told ENOSPC.
    const Bytes more = Pattern(kMiB, 2);
    for (uint64_t at = kMiB; at < 8 * kMiB; at += kMiB) {
      if (nbd_pwrite(h.get(), more.data(), more.size(), at, 0) != 0) {
        EXPECT_EQ(nbd_get_errno(), ENOSPC) << nbd_get_error();
        failed_at = at;
        break;
      }
    }
    ASSERT_NE(failed_at, 0u) << "8 MiB fitted on a 4 MiB disk";
    // The allocation map cannot be saved either: the flush fails the same way.
    EXPECT_EQ(nbd_flush(h.get(), 0), -1);
    EXPECT_EQ(nbd_get_errno(), ENOSPC) << nbd_get_error();
    // The connection and the server go on: reads work, flushed data reads back.
    Bytes got(kMiB);
    ASSERT_EQ(nbd_pread(h.get(), got.data(), got.size(), 0, 0), 0) << nbd_get_error();
    EXPECT_EQ(got, flushed);
    ASSERT_EQ(nbd_pread(h.get(), got.data(), got.size(), 20 * kMiB, 0), 0) << nbd_get_error();
    EXPECT_TRUE(std::equal(got.begin(), got.end(), data_.image_a.begin() + 20 * kMiB));
  }
  EXPECT_TRUE(ServerAlive());
  EXPECT_EQ(StopServer(), 0);
  // Only the overlay's final files, no temporary: the map is the one of the last flush.
  EXPECT_EQ(Names(overlays), (std::vector<std::string>{".lock", stem + ".data", stem + ".json", stem + ".map"}));

  // After a restart the flushed megabyte is there and the unflushed writes are not.
  StartServer({"--overlay", overlays});
  {
    Handle h(Uri(kExportA));
    ASSERT_TRUE(h.ok()) << h.error();
    Bytes got(expected.size());
    for (uint64_t at = 0; at < got.size(); at += 4 * kMiB) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(4 * kMiB, got.size() - at));
      ASSERT_EQ(nbd_pread(h.get(), got.data() + at, n, at, 0), 0) << nbd_get_error();
    }
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "first difference at byte " << i;
  }
  EXPECT_EQ(StopServer(), 0);

  // Exporting the merged image (about 24 MiB of data) to a 4 MiB disk fails with the
  // reason and leaves nothing there; with room it writes exactly the merged image.
  SmallDisk out_disk(tmp_ / "out", "4m");
  CommandResult r = RunCairn({"overlay", "export", overlays, (out_disk.path() / "merged.img").string()}, data_.env);
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_TRUE(Names(out_disk.path()).empty()) << r.err;
  r = RunCairn({"overlay", "export", overlays, (tmp_ / "merged.img").string()}, data_.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFileBytes(tmp_ / "merged.img"), expected);
}

}  // namespace
}  // namespace cairn::test
