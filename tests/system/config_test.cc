// cairn.conf: named datastores (path, keyfile, mountpoint, mount-options) and per-command
// defaults, with command-line flags taking precedence.
#include <gtest/gtest.h>

#include "tests/fs/mount_fixture.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

class ConfigTest : public MountFixture {
 protected:
  // Writes the configuration file and makes every cairn run of the fixture use it.
  void Configure(const std::string& text) {
    std::string path = (tmp_ / "cairn.conf").string();
    WriteFileBytes(path, AsBytes(text));
    env_.push_back("CAIRN_CONFIG=" + path);
  }
};

TEST_F(ConfigTest, NamedDatastoreWithItsKeyfile) {
  Cairn({"key", "create", (tmp_ / "key.json").string(), "--kdf", "none"});
  Bytes image = MixedImage(1, 100, 3);
  BackupImage("100", "2024-05-01T10:00:00Z", image, {"--keyfile", (tmp_ / "key.json").string()});
  Configure("[datastore.backups]\npath = " + store_ + "\nkeyfile = " + (tmp_ / "key.json").string() + "\n");
  CommandResult r = Cairn({"cat", "backups", "vm/100/latest", "drive-scsi0.img"});
  EXPECT_EQ(r.out, std::string(AsChars(image)));
  // A flag still wins over the file: an empty keyfile of our own is not the configured one.
  WriteFileBytes(tmp_ / "other.json", AsBytes("{}"));
  r = Cairn({"cat", "backups", "vm/100/latest", "drive-scsi0.img", "--keyfile", (tmp_ / "other.json").string()}, 4);
  EXPECT_NE(r.err.find("other.json"), std::string::npos) << r.err;
}

TEST_F(ConfigTest, CommandSectionsSetDefaultsThatFlagsOverride) {
  BackupImage("100", "2024-05-01T10:00:00Z", MixedImage(1, 0, 5));
  Configure("[ls]\njson = true\n");
  CommandResult r = Cairn({"ls", store_});
  EXPECT_EQ(r.out.front(), '[') << r.out;
  r = Cairn({"--config", (tmp_ / "missing.conf").string(), "ls", store_}, 2);
  EXPECT_NE(r.err.find("missing.conf"), std::string::npos) << r.err;
}

TEST_F(ConfigTest, MistakesAreNamed) {
  Configure("[datastore.backups]\npth = /srv\n");
  CommandResult r = Cairn({"ls", "backups"}, 2);
  EXPECT_NE(r.err.find("unknown key 'pth' in [datastore.backups] (path, keyfile, mountpoint, mount-options)"),
            std::string::npos)
      << r.err;
  Configure("[datastore.backups]\nkeyfile = /k\n");
  r = Cairn({"ls", "backups"}, 2);
  EXPECT_NE(r.err.find("[datastore.backups] has no path"), std::string::npos) << r.err;
}

TEST_F(ConfigTest, MountUsesTheConfiguredMountpointAndOptions) {
  Bytes image = MixedImage(2, 10, 9);
  BackupImage("100", "2024-05-01T10:00:00Z", image);
  std::filesystem::path mountpoint = tmp_ / "configured" / "mnt";  // created by cairn mount
  Configure("[datastore.backups]\npath = " + store_ + "\nmountpoint = " + mountpoint.string() +
            "\nmount-options = allow_other,readahead=2\n");
  mnt_ = mountpoint;
  MountWithArguments({"mount", "-f", "backups", "--readahead", "1"});
  ShellResult mountinfo = Sh("grep ' " + mountpoint.string() + " ' /proc/self/mountinfo");
  EXPECT_NE(mountinfo.output.find("allow_other"), std::string::npos) << mountinfo.output;
  EXPECT_EQ(ReadFileBytes(mountpoint / "vm/100/2024-05-01T10:00:00Z/drive-scsi0.img"), image);
}

}  // namespace
}  // namespace cairn::test
