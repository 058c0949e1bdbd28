// The read-only guarantee, enforced by the kernel: in a private mount namespace the datastore
// is bind-mounted read-only over itself, and every read path (ls, cat, verify, the FUSE mount,
// the NBD server with nbdcopy) must work there. Any write, lock file or atime update inside
// the datastore would fail with EROFS and fail the test.
#include <gtest/gtest.h>

#include "core/crypto/sha256.h"
#include "core/util/hex.h"
#include "tests/cli/cli_fixture.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

class ReadOnlyNamespaceTest : public CliFixture {};

TEST_F(ReadOnlyNamespaceTest, EveryReadPathWorksOnAReadOnlyBindMount) {
  Bytes image = MixedImage(3, 4567, 21);
  std::string snapshot = BackupImage("100", "2024-05-01T10:00:00Z", image,
                                     {"qemu-server.conf=" + WriteInput("conf", AsBytes("cores: 4\n"))});
  std::string sha = ToHex(Sha256(image));
  std::string environment;
  for (const std::string& variable : env_) environment += " " + variable;  // no spaces in test paths
  std::string mnt = (tmp_ / "mnt").string(), sock = (tmp_ / "nbd.sock").string(), copy = (tmp_ / "copy.raw").string();
  std::filesystem::create_directory(mnt);
  const std::string cairn = std::string("env") + environment + " " + CAIRN_BINARY;
  ShellResult r = Sh("unshare -m --propagation private sh -c '\n"
                     "set -e\n"
                     "mount --bind " + store_ + " " + store_ + "\n"
                     "mount -o remount,bind,ro " + store_ + "\n"
                     "touch " + store_ + "/probe 2>/dev/null && { echo \"not read-only\"; exit 1; }\n"
                     + cairn + " ls " + store_ + " " + snapshot + "\n"
                     + cairn + " cat " + store_ + " " + snapshot + " drive-scsi0.img | sha256sum\n"
                     + cairn + " cat " + store_ + " " + snapshot + " qemu-server.conf\n"
                     + cairn + " verify " + store_ + "\n"
                     + cairn + " mount " + store_ + " " + mnt + "\n"
                     "sha256sum " + mnt + "/" + snapshot + "/drive-scsi0.img\n"
                     "umount " + mnt + "\n"
                     + cairn + " -q nbd " + store_ + " --listen unix:" + sock + " & pid=$!\n"
                     "for i in $(seq 600); do [ -S " + sock + " ] && break; sleep 0.1; done\n"
                     "nbdcopy \"nbd+unix:///" + snapshot + "/drive-scsi0.img?socket=" + sock + "\" " + copy + "\n"
                     "kill -TERM $pid; wait $pid\n"
                     "sha256sum " + copy + "\n"
                     "echo all-read-paths-ok\n"
                     "' 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("all-read-paths-ok"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cores: 4"), std::string::npos) << r.output;
  // cat, the mount and nbdcopy each produced the image.
  size_t count = 0;
  for (size_t at = r.output.find(sha); at != std::string::npos; at = r.output.find(sha, at + 1)) ++count;
  EXPECT_EQ(count, 3u) << r.output;
  EXPECT_EQ(r.output.find("EROFS"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Read-only file system"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace cairn::test
