// Real command-line clients against `cairn nbd` (shared/spec/nbd-testing.md A, B, C).
#include <nlohmann/json.hpp>
#include <set>

#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

constexpr uint64_t kChunk = 4 << 20;

std::string Q(const std::string& s) { return "'" + s + "'"; }

// The extents a chunk-granular server reports: all-zero chunks merged into zero runs.
std::vector<std::pair<uint64_t, bool>> ExpectedExtents(const Bytes& image) {  // (length, zero)
  std::vector<std::pair<uint64_t, bool>> out;
  for (uint64_t at = 0; at < image.size(); at += kChunk) {
    uint64_t n = std::min<uint64_t>(kChunk, image.size() - at);
    bool zero = std::all_of(image.begin() + at, image.begin() + at + n, [](uint8_t b) { return b == 0; });
    if (!out.empty() && out.back().second == zero) out.back().first += n;
    else out.emplace_back(n, zero);
  }
  return out;
}

using NbdClients = NbdTest;

TEST_F(NbdClients, ListShowsEveryExportWithDescription) {
  StartServer();
  ShellResult r = Sh("nbdinfo --list --json " + Q(Uri()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  std::set<std::string> names;
  for (const auto& e : j["exports"]) {
    names.insert(e["export-name"].get<std::string>());
    EXPECT_FALSE(e["description"].get<std::string>().empty());
    EXPECT_TRUE(e["is_read_only"].get<bool>());
  }
  EXPECT_EQ(names, (std::set<std::string>{kExportA, kExportB, kLatest}));
}

TEST_F(NbdClients, InfoReportsSizeFlagsContextsAndBlockSizes) {
  StartServer();
  ShellResult r = Sh("nbdinfo --json " + Q(Uri(kExportA)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json e = nlohmann::json::parse(r.output)["exports"][0];
  EXPECT_EQ(e["export-size"].get<uint64_t>(), data_.image_a.size());
  EXPECT_TRUE(e["is_read_only"].get<bool>());
  EXPECT_TRUE(e["can_multi_conn"].get<bool>());
  EXPECT_TRUE(e["can_cache"].get<bool>());
  EXPECT_TRUE(e["can_df"].get<bool>());
  EXPECT_EQ(e["contexts"], nlohmann::json::array({"base:allocation"}));
  EXPECT_EQ(e["block_size_minimum"].get<uint64_t>(), 1u);
  EXPECT_EQ(e["block_size_preferred"].get<uint64_t>(), kChunk);
  EXPECT_EQ(e["block_size_maximum"].get<uint64_t>(), 32u << 20);
  r = Sh("nbdinfo " + Q(Uri(kExportA)));
  EXPECT_NE(r.output.find("newstyle-fixed without TLS, using structured packets"), std::string::npos) << r.output;
}

TEST_F(NbdClients, QemuNbdListSeesFlagsAndMetaContext) {
  StartServer();
  ShellResult r = Sh("qemu-nbd --list -k " + Q(socket_));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("exports available: 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("flags: 0x587 ( readonly flush df multi cache )"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("base:allocation"), std::string::npos) << r.output;
}

TEST_F(NbdClients, UnknownExportIsRefusedAndServerKeepsServing) {
  StartServer();
  ShellResult r = Sh("nbdinfo " + Q(Uri("no-such-export")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no-such-export"), std::string::npos) << r.output;
  // Two images and no --default-export: the empty name selects nothing.
  EXPECT_NE(Sh("nbdinfo --size " + Q(Uri())).exit_code, 0);
  r = Sh("nbdinfo --size " + Q(Uri(kLatest)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::stoull(r.output), data_.image_b.size());
}

TEST_F(NbdClients, DefaultExportServesTheEmptyName) {
  StartServer({"--default-export", kLatest});
  ShellResult r = Sh("nbdinfo --size " + Q(Uri()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::stoull(r.output), data_.image_b.size());
}

TEST_F(NbdClients, ExportGlobSelectsAndOnlyImageIsTheDefault) {
  StartServer({"--export", "vm/100/2024-05-01*"});
  ShellResult r = Sh("nbdinfo --list --json " + Q(Uri()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["exports"].size(), 1u);
  r = Sh("nbdinfo --size " + Q(Uri()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::stoull(r.output), data_.image_a.size());
}

TEST_F(NbdClients, NbdcopyCopiesExactBytes) {
  StartServer();
  for (std::string flags : {"", "--no-extents", "-C 4 -R 64", "-C 1"}) {
    std::string out = (tmp_ / "copy.img").string();
    ShellResult r = Sh("nbdcopy " + flags + " " + Q(Uri(kExportA)) + " " + Q(out));
    ASSERT_EQ(r.exit_code, 0) << flags << ": " << r.output;
    EXPECT_TRUE(ReadFileBytes(out) == data_.image_a) << "nbdcopy " << flags << " differs from the source";
  }
  ShellResult a = Sh("nbdcopy " + Q(Uri(kLatest)) + " - | sha256sum");
  ShellResult b = Sh("sha256sum < " + Q(data_.image_b_path));
  EXPECT_EQ(a.output, b.output);
}

TEST_F(NbdClients, QemuImgCompareAndConvert) {
  StartServer();
  ShellResult r = Sh("qemu-img compare -f raw -F raw " + Q(data_.image_a_path) + " " + Q(Uri(kExportA)));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Images are identical."), std::string::npos) << r.output;
  std::string out = (tmp_ / "converted.raw").string();
  r = Sh("qemu-img convert -O raw " + Q(Uri(kExportA)) + " " + Q(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // qemu rounds the size up to whole sectors: the image, then zeros.
  Bytes converted = ReadFileBytes(out);
  ASSERT_GE(converted.size(), data_.image_a.size());
  EXPECT_TRUE(std::equal(data_.image_a.begin(), data_.image_a.end(), converted.begin()));
  EXPECT_TRUE(std::all_of(converted.begin() + static_cast<ptrdiff_t>(data_.image_a.size()), converted.end(),
                          [](uint8_t b) { return b == 0; }));
  r = Sh("qemu-img info " + Q(Uri(kExportB)));
  EXPECT_NE(r.output.find("virtual size: 16 MiB (16777216 bytes)"), std::string::npos) << r.output;
}

TEST_F(NbdClients, QemuIoReadsIncludingOne32MiBRead) {
  StartServer();
  // Chunk 0 of the image is zeros; the 32 MiB aio_read is a single READ on the wire.
  ShellResult r = Sh("qemu-io -r -f raw " + Q(Uri(kExportA)) +
                     " -c 'read -P 0 0 1M' -c 'read 8M 4M' -c 'readv 1M 64k 64k' -c 'aio_read 0 32M' -c aio_flush" +
                     " -c 'read -v " + std::to_string(data_.image_a.size() - 4) + " 4'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("fail"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("read 33554432/33554432 bytes at offset 0"), std::string::npos) << r.output;
  char tail[64];
  const uint8_t* t = data_.image_a.data() + data_.image_a.size() - 4;
  std::snprintf(tail, sizeof tail, "%02x %02x %02x %02x", t[0], t[1], t[2], t[3]);
  EXPECT_NE(r.output.find(tail), std::string::npos) << "tail " << tail << " not in\n" << r.output;
}

TEST_F(NbdClients, NbdinfoMapShowsZeroChunksAsHoles) {
  StartServer();
  ShellResult r = Sh("nbdinfo --map --json " + Q(Uri(kExportA)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::pair<uint64_t, bool>> got;
  uint64_t pos = 0;
  for (const auto& e : nlohmann::json::parse(r.output)) {
    EXPECT_EQ(e["offset"].get<uint64_t>(), pos);
    uint32_t type = e["type"].get<uint32_t>();
    EXPECT_TRUE(type == 0 || type == 3) << type;
    got.emplace_back(e["length"].get<uint64_t>(), type == 3);
    pos += got.back().first;
  }
  EXPECT_EQ(got, ExpectedExtents(data_.image_a));
  // nbdcopy and qemu skip what is reported zero; the totals show the split.
  r = Sh("nbdinfo --map --totals " + Q(Uri(kExportA)));
  EXPECT_NE(r.output.find("hole,zero"), std::string::npos) << r.output;
}

TEST_F(NbdClients, QemuImgMapWalksWithRequestOne) {
  StartServer();
  ShellResult r = Sh("qemu-img map --output=json " + Q(Uri(kExportA)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::pair<uint64_t, bool>> got;
  for (const auto& e : nlohmann::json::parse(r.output)) {
    uint64_t start = e["start"].get<uint64_t>();
    if (start >= data_.image_a.size()) continue;  // qemu rounds the size up to a sector
    uint64_t length = std::min(e["length"].get<uint64_t>(), data_.image_a.size() - start);
    bool zero = e["zero"].get<bool>();
    if (!got.empty() && got.back().second == zero) got.back().first += length;
    else got.emplace_back(length, zero);
  }
  EXPECT_EQ(got, ExpectedExtents(data_.image_a));
}

}  // namespace
}  // namespace cairn::test
