// PBS's locks (spec §9): readers take the shared snapshot lock and give way to backups and
// prunes; writers take the shared chunk-store lock and give way to garbage collection.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/cli/cli_fixture.h"

namespace cairn::test {
namespace {

constexpr char kTime[] = "2024-05-01T10:00:00Z";

class LockingTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    snapshot_ = BackupImage("100", kTime, MixedImage(1, 10, 1));
  }

  // Holds an flock on `path` (created if needed) until the returned fd is closed.
  int Flock(const std::filesystem::path& path, int how) {
    std::filesystem::create_directories(path.parent_path());
    int fd = ::open(path.c_str(), (std::filesystem::is_directory(path) ? O_RDONLY : O_RDWR | O_CREAT), 0660);
    EXPECT_GE(fd, 0) << path;
    EXPECT_EQ(::flock(fd, how | LOCK_NB), 0) << path;
    return fd;
  }

  std::string snapshot_;
};

TEST_F(LockingTest, ExclusiveSnapshotLockOnDirectoryBlocksReaders) {
  // A datastore PBS does not know: cairn coordinates through flocks on the directories.
  int fd = Flock(std::filesystem::path(store_) / snapshot_, LOCK_EX);
  CommandResult r = Cairn({"cat", store_, snapshot_, "drive-scsi0.img"}, 7);
  EXPECT_NE(r.err.find("snapshot " + snapshot_ + " is locked by another process"), std::string::npos) << r.err;
  ::close(fd);
  Cairn({"cat", store_, snapshot_, "drive-scsi0.img"});
  // A shared lock (another reader) does not block readers.
  fd = Flock(std::filesystem::path(store_) / snapshot_, LOCK_SH);
  Cairn({"cat", store_, snapshot_, "drive-scsi0.img"});
  ::close(fd);
}

TEST_F(LockingTest, PbsLockFilesAreHonoured) {
  WriteFileBytes(tmp_ / "datastore.cfg", AsBytes("datastore: store1\n\tpath " + store_ + "\n"));
  std::filesystem::path lock = tmp_ / "run" / "locks" / "store1" / "vm-100-2024\\x2d05\\x2d01T10\\x3a00\\x3a00Z";
  int fd = Flock(lock, LOCK_EX);
  Cairn({"cat", "store1", snapshot_, "drive-scsi0.img"}, 7);
  Cairn({"verify", "store1"}, 1);  // the locked snapshot is reported, not silently skipped
  // While PBS's old-locking marker exists, the directories are locked instead.
  WriteFileBytes(tmp_ / "run" / "old-locking", {});
  Cairn({"cat", "store1", snapshot_, "drive-scsi0.img"});
  std::filesystem::remove(tmp_ / "run" / "old-locking");
  ::close(fd);
  Cairn({"cat", "store1", snapshot_, "drive-scsi0.img"});
  // A backup into a group PBS is writing to is refused.
  fd = Flock(tmp_ / "run" / "locks" / "store1" / "vm-100", LOCK_EX);
  Cairn({"backup", "image", "store1", "--id", "100", "drive-scsi0.img=" + WriteInput("i", MixedImage(1, 0, 2))}, 7);
  ::close(fd);
}

TEST_F(LockingTest, BackupWaitsForNoGarbageCollection) {
  // PBS's GC holds an exclusive fcntl lock on .lock for its whole run.
  int fd = ::open((std::filesystem::path(store_) / ".lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  struct flock gc {};
  gc.l_type = F_WRLCK;
  gc.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(fd, F_OFD_SETLK, &gc), 0);
  std::string image = WriteInput("i", MixedImage(1, 0, 3));
  CommandResult r = Cairn({"backup", "image", store_, "--id", "101", "drive-scsi0.img=" + image}, 7);
  EXPECT_NE(r.err.find("garbage collection is running"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(store_) / "vm" / "101"));
  // Readers never touch .lock, so they keep working during GC.
  Cairn({"cat", store_, snapshot_, "drive-scsi0.img"});
  ::close(fd);
  Cairn({"backup", "image", store_, "--id", "101", "drive-scsi0.img=" + image});
}

TEST_F(LockingTest, FailedBackupLeavesNoSnapshot) {
  // The second archive does not exist: the half-written snapshot must be removed again.
  Cairn({"backup", "image", store_, "--id", "100", "--backup-time", "2024-06-01T00:00:00Z",
         "drive-scsi0.img=" + WriteInput("ok", MixedImage(1, 0, 4)), "drive-scsi1.img=" + (tmp_ / "missing").string()},
        3);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(store_) / "vm/100/2024-06-01T00:00:00Z"));
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::filesystem::path(store_) / "vm")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST_F(LockingTest, PasswordFromFileDescriptor) {
  std::string key = (tmp_ / "key.json").string();
  Cairn({"key", "create", key, "--kdf", "pbkdf2"}, 0, {"PBS_ENCRYPTION_PASSWORD=from-env"});
  // --password-fd 0: the password arrives on standard input.
  CommandResult r = RunCairn({"ls", store_, "--keyfile", key, "--password-fd", "0"}, env_, "from-env\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunCairn({"ls", store_, "--keyfile", key, "--password-fd", "0"}, env_, "wrong-pass\n");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("wrong password"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn::test
