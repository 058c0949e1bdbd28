// A backup that runs out of space fails with a clear error and leaves nothing under a final
// name: no snapshot directory, no index or manifest, only whole chunks in the chunk store.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace cairn::test {
namespace {

class DiskFullTest : public CliFixture {};

TEST_F(DiskFullTest, BackupOnAFullDiskFailsCleanly) {
  SmallDisk small(tmp_ / "small", "24m");
  std::string store = (small.path() / "ds").string();
  Cairn({"init", store});
  // Random data does not compress: 48 MiB of chunks cannot fit in 24 MiB.
  Bytes image(48 << 20);
  uint32_t x = 12345;
  for (uint8_t& b : image) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 24);
  std::string input = WriteInput("disk.raw", image);
  CommandResult r = Cairn({"backup", "image", store, "--id", "100", "--backup-time", "2024-05-01T10:00:00Z",
                           "drive-scsi0.img=" + input},
                          6);
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(store) / "vm/100/2024-05-01T10:00:00Z")) << r.err;
  // Every chunk file that exists is complete: verify of the (empty) datastore has nothing to
  // say, and no temporary file is left in the chunk store.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::filesystem::path(store) / ".chunks")) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(entry.path().filename().string().size(), 64u) << "left behind: " << entry.path();
  }
  // The group (with its complete owner file) may stay, as PBS leaves it; it has no snapshot.
  nlohmann::json groups = nlohmann::json::parse(Cairn({"ls", store, "--json"}).out);
  for (const auto& group : groups) EXPECT_EQ(group["backup-count"], 0) << groups.dump();
}

}  // namespace
}  // namespace cairn::test
