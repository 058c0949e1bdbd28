// `cpack -G DEB` builds an installable package; unpacked into a fresh tree it runs and holds
// everything that `cmake --install` installs.
#include <gtest/gtest.h>

#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

TEST(DebianPackage, BuildsDeclaresDependenciesAndRunsFromAnUnpackedTree) {
  TempDir tmp;
  std::string build = CAIRN_BUILD_DIR;
  std::string out = (tmp / "out").string(), root = (tmp / "root").string();
  ShellResult r = Sh("cpack -G DEB -B " + out + " --config " + build + "/CPackConfig.cmake 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ShellResult deb = Sh("ls " + out + "/*.deb");
  ASSERT_EQ(deb.exit_code, 0) << deb.output;
  std::string package = deb.output.substr(0, deb.output.find('\n'));

  ShellResult depends = Sh("dpkg-deb -f " + package + " Package Depends");
  EXPECT_NE(depends.output.find("Package: cairn"), std::string::npos) << depends.output;
  for (const char* library : {"fuse3", "libfuse3-3", "libssl3", "libzstd1", "libsystemd0"}) {
    EXPECT_NE(depends.output.find(library), std::string::npos) << library << " missing in " << depends.output;
  }

  ASSERT_EQ(Sh("dpkg -x " + package + " " + root).exit_code, 0);
  ShellResult version = Sh(root + "/usr/bin/cairn --version");
  EXPECT_EQ(version.output, "cairn 0.1.0\n");
  ShellResult helper = Sh("readlink " + root + "/usr/sbin/mount.cairn");
  EXPECT_EQ(helper.output, "../bin/cairn\n");
  for (const char* file : {"/usr/lib/systemd/system/cairn-mount@.service", "/usr/lib/systemd/system/cairn-nbd.service",
                           "/usr/lib/systemd/system/cairn-nbd.socket", "/usr/share/man/man1/cairn.1",
                           "/usr/share/man/man1/cairn-mount.1", "/usr/share/man/man8/mount.cairn.8",
                           "/usr/share/bash-completion/completions/cairn", "/usr/share/doc/cairn/cairn.conf.example"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(root + file)) << file;
  }
  ShellResult unit = Sh("grep ^ExecStart= " + root + "/usr/lib/systemd/system/cairn-nbd.service");
  EXPECT_EQ(unit.output, "ExecStart=cairn nbd\n");
}

}  // namespace
}  // namespace cairn::test
