// Writable attach through a copy-on-write overlay (`cairn nbd --overlay DIR`, issue 5) with
// real clients: qemu-io and libnbd write, the data survives a restart and kill -9 after a
// flush, WRITE_ZEROES/TRIM/block status follow the overlay, `cairn overlay export` writes
// the merged image, and the datastore is never written.
#include <libnbd.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/overlay/overlay_dir.h"
#include "tests/nbd/libnbd_handle.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

constexpr uint64_t kChunk = 4 << 20;
constexpr uint64_t kBlock = 64 << 10;  // the overlay's granularity

std::string Q(const std::string& s) {
  return "'" + s + "'";
}

class NbdOverlay : public NbdTest {
 protected:
  void SetUp() override {
    NbdTest::SetUp();
    overlay_dir_ = (tmp_ / "overlays").string();
    expected_ = data_.image_a;
  }
  void Start() { StartServer({"--overlay", overlay_dir_}); }

  // Writes through libnbd and applies the same change to expected_.
  void Write(nbd_handle* h, uint64_t offset, const Bytes& bytes, uint32_t flags = 0) {
    ASSERT_EQ(nbd_pwrite(h, bytes.data(), bytes.size(), offset, flags), 0) << nbd_get_error();
    std::copy(bytes.begin(), bytes.end(), expected_.begin() + static_cast<ptrdiff_t>(offset));
  }
  void ExpectZeros(uint64_t offset, uint64_t length) {
    std::fill_n(expected_.begin() + static_cast<ptrdiff_t>(offset), length, 0);
  }
  // The whole export read back equals expected_.
  void ExpectImage(const std::string& name = kExportA) {
    Handle h(Uri(name));
    ASSERT_TRUE(h.ok()) << h.error();
    Bytes got(expected_.size());
    for (uint64_t at = 0; at < got.size(); at += kChunk) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, got.size() - at));
      ASSERT_EQ(nbd_pread(h.get(), got.data() + at, n, at, 0), 0) << nbd_get_error();
    }
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], expected_[i]) << "first difference at byte " << i;
    }
  }
  // A recognisable block of `n` bytes.
  static Bytes Pattern(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 9));
    return b;
  }

  std::string overlay_dir_;
  Bytes expected_;
};

TEST_F(NbdOverlay, ExportsAreWritableWithFlushFuaTrimAndZero) {
  Start();
  ShellResult r = Sh("nbdinfo --json " + Q(Uri(kExportA)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json e = nlohmann::json::parse(r.output)["exports"][0];
  EXPECT_FALSE(e["is_read_only"].get<bool>());
  EXPECT_TRUE(e["can_flush"].get<bool>());
  EXPECT_TRUE(e["can_fua"].get<bool>());
  EXPECT_TRUE(e["can_trim"].get<bool>());
  EXPECT_TRUE(e["can_zero"].get<bool>());
  EXPECT_TRUE(e["can_multi_conn"].get<bool>());
  r = Sh("qemu-nbd --list -k " + Q(socket_));
  EXPECT_NE(r.output.find("flags: 0x5ed ( flush fua trim zeroes df multi cache )"), std::string::npos)
      << r.output;
}

TEST_F(NbdOverlay, QemuIoWritesSurviveARestartAndLeaveTheDatastoreAlone) {
  Start();
  const std::string io = "qemu-io -f raw " + Q(Uri(kExportA));
  // Whole overlay blocks, a partial block over data and one over a zero chunk (12 MiB).
  ShellResult r =
      Sh(io + " -c 'write -P 0xab 1M 128k' -c 'write -P 0xcd 8390000 3000' -c 'write -P 0x5a 12M 512'" +
         " -c flush");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output;
  std::fill_n(expected_.begin() + (1 << 20), 128 << 10, 0xab);
  std::fill_n(expected_.begin() + 8390000, 3000, 0xcd);
  std::fill_n(expected_.begin() + (12 << 20), 512, 0x5a);
  const std::string check =
      " -c 'read -P 0xab 1M 128k' -c 'read -P 0xcd 8390000 3000' -c 'read -P 0x5a 12M 512'";
  r = Sh(io + check);
  EXPECT_EQ(r.output.find("Pattern verification failed"), std::string::npos) << r.output;
  ExpectImage();
  EXPECT_EQ(StopServer(), 0);
  Start();
  r = Sh(io + check);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("Pattern verification failed"), std::string::npos) << r.output;
  ExpectImage();
  // Without the overlay the datastore still serves the original bytes.
  EXPECT_EQ(StopServer(), 0);
  StartServer();
  expected_ = data_.image_a;
  ExpectImage();
}

TEST_F(NbdOverlay, FlushedWritesSurviveKillNine) {
  Start();
  {
    Handle h(Uri(kExportA));
    ASSERT_TRUE(h.ok()) << h.error();
    Write(h.get(), 3 * kChunk + 100, Pattern(200000, 1));
    Write(h.get(), 30 * kBlock, Pattern(kBlock, 2));
    ASSERT_EQ(nbd_flush(h.get(), 0), 0) << nbd_get_error();
    // FUA makes a write durable by itself.
    Write(h.get(), 7 * kChunk + 4096, Pattern(8192, 3), LIBNBD_CMD_FLAG_FUA);
    KillServer();
  }
  Start();
  ExpectImage();
}

struct Extents {
  std::vector<std::pair<uint32_t, uint32_t>> entries;  // (length, flags)
};

int RecordExtents(void* user, const char*, uint64_t, uint32_t* entries, size_t n, int*) {
  auto* out = static_cast<Extents*>(user);
  for (size_t i = 0; i + 1 < n; i += 2) out->entries.emplace_back(entries[i], entries[i + 1]);
  return 0;
}

TEST_F(NbdOverlay, ZeroTrimAndBlockStatusFollowTheOverlay) {
  Start();
  Handle h(Uri(kExportA));
  ASSERT_TRUE(h.ok()) << h.error();
  // Chunk 2 (8 MiB) is random data. Trim two whole blocks and a partial one; zero with and
  // without NO_HOLE.
  const uint64_t base = 2 * kChunk;
  ASSERT_EQ(nbd_trim(h.get(), 2 * kBlock, base, 0), 0) << nbd_get_error();
  ExpectZeros(base, 2 * kBlock);
  ASSERT_EQ(nbd_trim(h.get(), 1000, base + 4 * kBlock + 10, 0), 0) << nbd_get_error();
  ExpectZeros(base + 4 * kBlock + 10, 1000);
  ASSERT_EQ(nbd_zero(h.get(), kBlock, base + 8 * kBlock, 0), 0) << nbd_get_error();
  ExpectZeros(base + 8 * kBlock, kBlock);
  ASSERT_EQ(nbd_zero(h.get(), kBlock, base + 10 * kBlock, LIBNBD_CMD_FLAG_NO_HOLE), 0) << nbd_get_error();
  ExpectZeros(base + 10 * kBlock, kBlock);
  // A write into the zero chunk at 12 MiB makes that block data.
  Write(h.get(), 3 * kChunk + kBlock, Pattern(kBlock, 9));

  Extents got;
  ASSERT_EQ(
      nbd_block_status(h.get(), 2 * kChunk, 2 * kChunk,
                       nbd_extent_callback{.callback = RecordExtents, .user_data = &got, .free = nullptr}, 0),
      0)
      << nbd_get_error();
  constexpr uint32_t kHoleZero = LIBNBD_STATE_HOLE | LIBNBD_STATE_ZERO;
  const std::vector<std::pair<uint32_t, uint32_t>> want = {
      {2 * kBlock, kHoleZero},           // trimmed
      {6 * kBlock, 0},                   // data, with the partial trim inside
      {kBlock, kHoleZero},               // zeroed, hole allowed
      {kBlock, 0},                       // gap between the zeroed ranges
      {kBlock, 0},                       // zeroed with NO_HOLE: allocated
      {kChunk - 11 * kBlock, 0},         // rest of the data chunk
      {kBlock, kHoleZero},               // zero chunk 3 before the write
      {kBlock, 0},                       // the write
      {kChunk - 2 * kBlock, kHoleZero},  // rest of zero chunk 3
  };
  // Adjacent data extents are merged by the server.
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& e : want) {
    if (!merged.empty() && merged.back().second == e.second)
      merged.back().first += e.first;
    else
      merged.push_back(e);
  }
  EXPECT_EQ(got.entries, merged);
  ExpectImage();
  // A write beyond the end is ENOSPC, a trim beyond the end EINVAL; the connection stays.
  Bytes one(4096, 1);
  nbd_set_strict_mode(h.get(), 0);  // let the server judge the ranges
  EXPECT_EQ(nbd_pwrite(h.get(), one.data(), one.size(), data_.image_a.size() - 100, 0), -1);
  EXPECT_EQ(nbd_get_errno(), ENOSPC);
  EXPECT_EQ(nbd_trim(h.get(), 4096, data_.image_a.size() - 100, 0), -1);
  EXPECT_EQ(nbd_get_errno(), EINVAL);
  ASSERT_EQ(nbd_pread(h.get(), one.data(), one.size(), 0, 0), 0) << nbd_get_error();
}

TEST_F(NbdOverlay, OverlayExportWritesTheMergedImageSparse) {
  Start();
  {
    Handle h(Uri(kLatest));  // the alias writes to the overlay of image B
    ASSERT_TRUE(h.ok()) << h.error();
    expected_ = data_.image_b;
    Write(h.get(), 5 * kChunk / 2, Pattern(300000, 4));
    ASSERT_EQ(nbd_trim(h.get(), kChunk, kChunk, 0), 0);  // the text chunk 1
    ExpectZeros(kChunk, kChunk);
    ASSERT_EQ(nbd_flush(h.get(), 0), 0);
  }
  // The overlay directory is locked while the server runs.
  const std::string out = (tmp_ / "merged.img").string();
  CommandResult r = RunCairn({"overlay", "export", overlay_dir_, out}, data_.env);
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("in use by another cairn process"), std::string::npos) << r.err;
  EXPECT_EQ(StopServer(), 0);

  r = RunCairn({"overlay", "export", overlay_dir_, out}, data_.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote " + std::string(kExportB)), std::string::npos) << r.out;
  Bytes merged = ReadFileBytes(out);
  ASSERT_EQ(merged.size(), expected_.size());
  EXPECT_TRUE(merged == expected_);
  struct stat st {};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  // Image B is 16 MiB: chunk 0 zero, chunk 1 trimmed, chunk 3 zero: at most half is data.
  EXPECT_LE(static_cast<uint64_t>(st.st_blocks) * 512, 8u << 20);
  // With two overlays, --export chooses.
  Start();
  {
    Handle h(Uri(kExportA));
    ASSERT_TRUE(h.ok()) << h.error();
    ASSERT_EQ(nbd_flush(h.get(), 0), 0);
  }
  EXPECT_EQ(StopServer(), 0);
  r = RunCairn({"overlay", "export", overlay_dir_, out}, data_.env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("choose one with --export"), std::string::npos) << r.err;
  r = RunCairn({"overlay", "export", overlay_dir_, out, "--export", kExportA}, data_.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadFileBytes(out) == data_.image_a);
}

TEST_F(NbdOverlay, TwoServersCannotShareAnOverlayDirectory) {
  Start();
  CommandResult r = RunCairn(
      {"nbd", data_.store, "--listen", "unix:" + (tmp_ / "other.sock").string(), "--overlay", overlay_dir_},
      data_.env);
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("in use by another cairn process"), std::string::npos) << r.err;
  EXPECT_TRUE(ServerAlive());
}

TEST_F(NbdOverlay, AnOverlayMadeOverOtherDataIsRefused) {
  Start();
  {
    Handle h(Uri(kExportA));
    ASSERT_TRUE(h.ok()) << h.error();
    Write(h.get(), 0, Pattern(4096, 5));
    ASSERT_EQ(nbd_flush(h.get(), 0), 0);
  }
  EXPECT_EQ(StopServer(), 0);
  // Pretend the base changed: the recorded fingerprint no longer matches the index.
  std::string json_path = overlay_dir_ + "/" + OverlayDir::FileStem(kExportA) + ".json";
  nlohmann::json j = nlohmann::json::parse(AsChars(ReadFileBytes(json_path)));
  j["base"] = std::string(64, '0');
  WriteFileBytes(json_path, AsBytes(j.dump()));
  CommandResult r =
      RunCairn({"nbd", data_.store, "--listen", "unix:" + socket_, "--overlay", overlay_dir_}, data_.env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("was made over"), std::string::npos) << r.err;
  r = RunCairn({"overlay", "export", overlay_dir_, (tmp_ / "out.img").string()}, data_.env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("has changed since the overlay was made"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn::test
