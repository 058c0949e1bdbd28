// The systemd units as they ship (systemd/), checked by systemd itself, and the NBD service
// started the way cairn-nbd.socket starts it: by socket activation.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

const std::string kBuildDir = CAIRN_BUILD_DIR;

TEST(SystemdUnits, VerifyPasses) {
  // The build-tree copies differ from the installed units only in naming the program by
  // its build path. MANPATH lets verify check the Documentation= pages we generate.
  std::string units = kBuildDir + "/systemd-build-tree/";
  ShellResult r = Sh("MANPATH=" + kBuildDir + "/man systemd-analyze verify " + units + "cairn-mount@backups.service " +
                     units + "cairn-nbd.service " + units + "cairn-nbd.socket 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
}

TEST(SystemdUnits, SocketActivatedNbdServerServesTheExports) {
  const NbdStore& data = NbdStore::Get();
  TempDir tmp;
  std::string socket = (tmp / "nbd.sock").string();
  std::string environment;
  for (const std::string& variable : data.env) environment += " -E '" + variable + "'";
  // systemd-socket-activate binds the socket, then execs cairn with LISTEN_FDS=1: no --listen.
  ShellResult r = Sh("systemd-socket-activate -l '" + socket + "'" + environment + " -- " + CAIRN_BINARY + " nbd '" +
                     data.store + "' > '" + (tmp / "log").string() + "' 2>&1 & pid=$!\n"
                     "for i in $(seq 600); do [ -S '" + socket + "' ] && break; sleep 0.1; done\n"
                     "nbdinfo --list --json 'nbd+unix:///?socket=" + socket + "'; echo \"list=$?\"\n"
                     "nbdinfo --size 'nbd+unix:///" + kExportA + "?socket=" + socket + "'; echo \"size=$?\"\n"
                     "kill -TERM $pid; wait $pid; echo \"exit=$?\"; cat '" + (tmp / "log").string() + "' >&2");
  ASSERT_NE(r.output.find("list=0"), std::string::npos) << r.output;
  nlohmann::json listing = nlohmann::json::parse(r.output.substr(0, r.output.find("list=0")));
  std::set<std::string> names;
  for (const auto& e : listing["exports"]) names.insert(e["export-name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{kExportA, kExportB, kLatest}));
  EXPECT_NE(r.output.find(std::to_string(data.image_a.size()) + "\nsize=0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("exit=0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("serving 3 exports on 1 socket(s) from systemd"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace cairn::test
