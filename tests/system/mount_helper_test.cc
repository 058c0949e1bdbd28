// mount.cairn: `mount -t cairn` and /etc/fstab lines. The fstab test runs mount(8) itself in
// a private mount namespace, where a tmpfs over /sbin holds the helper (mount(8) looks for
// /sbin/mount.<type> only) and LIBMOUNT_FSTAB names a test fstab.
#include <gtest/gtest.h>

#include "core/crypto/sha256.h"
#include "core/util/hex.h"
#include "tests/fs/mount_fixture.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

class MountHelperTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    helper_ = tmp_ / "mount.cairn";
    std::filesystem::create_symlink(CAIRN_BINARY, helper_);
  }

  std::filesystem::path helper_;
};

TEST_F(MountHelperTest, FakeMountDoesNothingAndRwIsRefused) {
  CommandResult r = RunProgram({helper_.string(), store_, tmp_.path().string(), "-f", "-o", "ro"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(IsCairnMount(tmp_.path()));
  r = RunProgram({helper_.string(), store_, tmp_.path().string(), "-o", "rw,allow_other"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("mount.cairn: cairn mounts are read-only; remove 'rw'"), std::string::npos) << r.err;
  r = RunProgram({helper_.string(), store_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("usage: mount.cairn DATASTORE MOUNTPOINT"), std::string::npos) << r.err;
}

TEST_F(MountHelperTest, FstabLineMountsThroughMountCairn) {
  Bytes image = MixedImage(2, 4321, 7);
  BackupImage("100", "2024-05-01T10:00:00Z", image);
  std::filesystem::path mnt = tmp_ / "mnt";
  std::filesystem::create_directory(mnt);
  std::string fstab = (tmp_ / "fstab").string();
  // The options mount(8) and systemd add or keep must not reach cairn.
  WriteFileBytes(fstab, AsBytes(store_ + " " + mnt.string() + " cairn ro,nofail,noauto,_netdev,x-systemd.automount,"
                                "nodev,nosuid,cache_size=64M,readahead=4 0 0\n"));
  std::string environment;
  for (const std::string& variable : env_) environment += " " + variable;  // no spaces in test paths
  std::string file = (mnt / "vm/100/2024-05-01T10:00:00Z/drive-scsi0.img").string();
  ShellResult r = Sh("unshare -m --propagation private sh -c '\n"
                     "set -e\n"
                     "mount -t tmpfs tmpfs \"$(realpath /sbin)\"\n"
                     "ln -s " CAIRN_BINARY " /sbin/mount.cairn\n"
                     "env" + environment + " LIBMOUNT_FSTAB=" + fstab + " mount " + mnt.string() + "\n"
                     "grep \" " + mnt.string() + " \" /proc/self/mountinfo\n"
                     "sha256sum " + file + "\n"
                     "umount " + mnt.string() + "\n"
                     "' 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fuse.cairn cairn:" + store_), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(ToHex(Sha256(image))), std::string::npos) << r.output;
  EXPECT_FALSE(IsCairnMount(mnt));
}

}  // namespace
}  // namespace cairn::test
