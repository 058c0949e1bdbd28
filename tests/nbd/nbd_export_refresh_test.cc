// New snapshots appear without a restart (issue 5): the export list is made again when a
// client asks for it and it is older than --refresh-interval.
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/cli/cli_fixture.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

constexpr char kFirst[] = "vm/300/2024-07-01T00:00:00Z/drive-scsi0.img";
constexpr char kSecond[] = "vm/300/2024-07-02T00:00:00Z/drive-scsi0.img";
constexpr char kLatest300[] = "vm/300/latest/drive-scsi0.img";

using NbdExportRefresh = NbdTest;

std::set<std::string> ListedNames(const std::string& uri) {
  ShellResult r = Sh("nbdinfo --list --json '" + uri + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> names;
  if (r.exit_code != 0) return names;
  const nlohmann::json listing = nlohmann::json::parse(r.output);
  for (const auto& e : listing["exports"]) names.insert(e["export-name"].get<std::string>());
  return names;
}

uint64_t SizeOf(const std::string& uri) {
  ShellResult r = Sh("nbdinfo --size '" + uri + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.exit_code == 0 ? std::stoull(r.output) : 0;
}

TEST_F(NbdExportRefresh, NewSnapshotsAppearWithoutARestart) {
  ScratchStore store;
  const Bytes first = MixedImage(2, 100, 3), second = MixedImage(3, 0, 4);
  WriteFileBytes(store.dir / "first.img", first);
  WriteFileBytes(store.dir / "second.img", second);
  store.Backup("300", "2024-07-01T00:00:00Z", (store.dir / "first.img").string());
  StartServerOn(store.store, store.env, {"--refresh-interval", "1"});
  EXPECT_EQ(ListedNames(Uri()), (std::set<std::string>{kFirst, kLatest300}));
  EXPECT_EQ(SizeOf(Uri(kLatest300)), first.size());

  store.Backup("300", "2024-07-02T00:00:00Z", (store.dir / "second.img").string());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(ListedNames(Uri()), (std::set<std::string>{kFirst, kSecond, kLatest300}));
  EXPECT_EQ(SizeOf(Uri(kLatest300)), second.size());
  // The new image serves its bytes.
  const std::string out = (tmp_ / "copy.img").string();
  ShellResult r = Sh("nbdcopy '" + Uri(kSecond) + "' '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(ReadFileBytes(out) == second);
}

TEST_F(NbdExportRefresh, ANegativeIntervalKeepsTheFirstList) {
  ScratchStore store;
  const Bytes image = MixedImage(1, 0, 5);
  WriteFileBytes(store.dir / "a.img", image);
  store.Backup("300", "2024-07-01T00:00:00Z", (store.dir / "a.img").string());
  StartServerOn(store.store, store.env, {"--refresh-interval", "-1"});
  store.Backup("300", "2024-07-02T00:00:00Z", (store.dir / "a.img").string());
  EXPECT_EQ(ListedNames(Uri()), (std::set<std::string>{kFirst, kLatest300}));
  EXPECT_NE(Sh("nbdinfo --size '" + Uri(kSecond) + "'").exit_code, 0);
}

}  // namespace
}  // namespace cairn::test
