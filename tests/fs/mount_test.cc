// The FUSE filesystem through the kernel: a real mount of a datastore made by the real
// binary, read with ordinary tools (find, stat, ls, readlink, qemu-img, python3).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/util/hex.h"
#include "core/util/time.h"
#include "tests/fs/mount_fixture.h"

namespace cairn::test {
namespace {

namespace fsys = std::filesystem;

constexpr char kT1[] = "2024-05-01T10:00:00Z";
constexpr char kT2[] = "2024-05-02T10:00:00Z";
constexpr char kT3[] = "2024-05-03T10:00:00Z";

std::string Sha(ByteView data) { return ToHex(Sha256(data)); }
std::string ReadText(const fsys::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class MountTest : public MountFixture {
 protected:
  void SetUp() override {
    MountFixture::SetUp();
    image1_ = MixedImage(3, 12345, 1);
    image2_ = MixedImage(4, 777, 2);
    conf_ = WriteInput("vm.conf", AsBytes("memory: 2048\ncores: 2\n"));
    BackupImage("100", kT1, image1_, {"qemu-server.conf=" + conf_});
    BackupImage("100", kT2, image2_, {"qemu-server.conf=" + conf_});
    Cairn({"backup", "image", store_, "--ns", "prod/web", "--id", "300", "--backup-time", kT1,
           "drive-scsi0.img=" + WriteInput("small", MixedImage(1, 100, 3))});
  }

  fsys::path Snap(const std::string& time) const { return mnt_ / "vm" / "100" / time; }

  Bytes image1_, image2_;
  std::string conf_;
};

TEST_F(MountTest, TreeContentsAndAttributes) {
  Mount();
  EXPECT_EQ(Sha(ReadFileBytes(Snap(kT1) / "drive-scsi0.img")), Sha(image1_));
  EXPECT_EQ(Sha(ReadFileBytes(Snap(kT2) / "drive-scsi0.img")), Sha(image2_));
  EXPECT_EQ(ReadText(Snap(kT2) / "qemu-server.conf"), "memory: 2048\ncores: 2\n");
  EXPECT_EQ(fsys::read_symlink(mnt_ / "vm/100/latest"), kT2);
  EXPECT_EQ(RunProgram({"readlink", (mnt_ / "vm/100/latest").string()}).out, std::string(kT2) + "\n");
  EXPECT_EQ(Sha(ReadFileBytes(mnt_ / "vm/100/latest/drive-scsi0.img")), Sha(image2_));

  CommandResult find = RunProgram({"find", mnt_.string()});
  ASSERT_EQ(find.exit_code, 0) << find.err;
  std::set<std::string> paths;
  std::istringstream lines(find.out);
  for (std::string line; std::getline(lines, line);) paths.insert(line.substr(mnt_.string().size()));
  for (const char* expected :
       {"/index.json", "/vm", "/vm/100", "/vm/100/index.json", "/vm/100/latest", "/vm/100/2024-05-01T10:00:00Z",
        "/vm/100/2024-05-01T10:00:00Z/drive-scsi0.img", "/vm/100/2024-05-01T10:00:00Z/qemu-server.conf",
        "/vm/100/2024-05-01T10:00:00Z/index.json", "/ns/prod/index.json", "/ns/prod/ns/web/vm/300/index.json",
        "/ns/prod/ns/web/vm/300/2024-05-01T10:00:00Z/drive-scsi0.img"}) {
    EXPECT_TRUE(paths.count(expected)) << expected << " missing from find:\n" << find.out;
  }
  EXPECT_FALSE(paths.count("/vm/100/2024-05-01T10:00:00Z/index.json.blob"));
  EXPECT_EQ(RunProgram({"ls", "-lR", mnt_.string()}).exit_code, 0);

  struct stat st;
  ASSERT_EQ(stat((Snap(kT1) / "drive-scsi0.img").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), image1_.size());
  EXPECT_EQ(st.st_mode, S_IFREG | 0444);
  EXPECT_EQ(st.st_mtime, *ParseBackupTime(kT1));
  // One of three 4 MiB chunks of MixedImage is zeros: st_blocks counts the others only.
  EXPECT_EQ(static_cast<uint64_t>(st.st_blocks), (image1_.size() - (4u << 20) + 511) / 512);
  ino_t image_ino = st.st_ino;
  ASSERT_EQ(stat(Snap(kT1).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFDIR | 0555);
  EXPECT_EQ(st.st_mtime, *ParseBackupTime(kT1));
  ino_t dir_ino = st.st_ino;
  ASSERT_EQ(stat((mnt_ / "vm/100").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, *ParseBackupTime(kT2));  // the newest backup

  struct statvfs vfs;
  ASSERT_EQ(statvfs(mnt_.c_str(), &vfs), 0);
  EXPECT_TRUE(vfs.f_flag & ST_RDONLY);

  // Read-only in every way.
  errno = 0;
  EXPECT_EQ(open((Snap(kT1) / "drive-scsi0.img").c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(mkdir((mnt_ / "vm/new").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(unlink((Snap(kT1) / "qemu-server.conf").c_str()), -1);
  EXPECT_EQ(errno, EROFS);

  // Inode numbers survive a remount.
  Unmount();
  Mount();
  ASSERT_EQ(stat((Snap(kT1) / "drive-scsi0.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, image_ino);
  ASSERT_EQ(stat(Snap(kT1).c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, dir_ino);
}

// The kernel's 128 KiB default would make a sequential reader wait for every 128 KiB.
TEST_F(MountTest, KernelReadsAheadOneImageChunk) {
  Mount();
  struct stat st;
  ASSERT_EQ(::stat(mnt_.c_str(), &st), 0);
  fsys::path bdi = "/sys/class/bdi/" + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
  EXPECT_EQ(ReadText(bdi / "read_ahead_kb"), "4096\n");
}

TEST_F(MountTest, IndexJsonFilesParse) {
  Mount();
  CommandResult find = RunProgram({"find", mnt_.string(), "-name", "index.json"});
  std::istringstream lines(find.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    CommandResult tool = RunProgram({"python3", "-m", "json.tool", line});
    EXPECT_EQ(tool.exit_code, 0) << line << ": " << tool.err;
    struct stat st;
    ASSERT_EQ(stat(line.c_str(), &st), 0);
    EXPECT_EQ(static_cast<size_t>(st.st_size), ReadText(line).size()) << line;
  }
  // root, ns/prod, ns/prod/ns/web, two groups, three snapshots.
  EXPECT_EQ(count, 8) << find.out;

  auto root = nlohmann::json::parse(ReadText(mnt_ / "index.json"));
  ASSERT_EQ(root.size(), 3u);
  EXPECT_EQ(root[0]["backup-id"], "100");
  EXPECT_EQ(root[0]["backup-time"], *ParseBackupTime(kT1));
  EXPECT_EQ(root[1]["backup-time"], *ParseBackupTime(kT2));
  EXPECT_EQ(root[2]["ns"], "prod/web");
  EXPECT_EQ(root[0]["owner"], "root@pam");
  EXPECT_EQ(root[0]["protected"], false);
  EXPECT_EQ(nlohmann::json::parse(ReadText(mnt_ / "ns/prod/index.json")).size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(ReadText(mnt_ / "vm/100/index.json")).size(), 2u);

  auto snapshot = nlohmann::json::parse(ReadText(Snap(kT1) / "index.json"));
  EXPECT_EQ(snapshot["backup-id"], "100");
  EXPECT_EQ(snapshot["files"][0]["filename"], "drive-scsi0.img.fidx");
  EXPECT_EQ(snapshot["files"][0]["chunk-count"], 4);
  EXPECT_EQ(snapshot["files"][0]["encrypted"], false);
  EXPECT_EQ(snapshot["protected"], false);

  // Reads at any offset agree with a whole read.
  std::string whole = ReadText(mnt_ / "index.json");
  int fd = open((mnt_ / "index.json").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  for (size_t offset : {whole.size() / 2, size_t{1}, whole.size() - 3, size_t{0}}) {
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
    ASSERT_GE(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), whole.substr(offset, sizeof buf)) << offset;
  }
  close(fd);
}

TEST_F(MountTest, QemuImgReadsTheImage) {
  Mount();
  std::string image = (Snap(kT1) / "drive-scsi0.img").string();
  CommandResult info = RunProgram({"qemu-img", "info", "-f", "raw", image});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("file format: raw"), std::string::npos) << info.out;
  // qemu reports raw images in whole sectors.
  EXPECT_NE(info.out.find(std::to_string((image1_.size() + 511) / 512 * 512) + " bytes"), std::string::npos) << info.out;
  std::string source = WriteInput("source.img", image1_);
  CommandResult compare = RunProgram({"qemu-img", "compare", "-f", "raw", "-F", "raw", source, image});
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
}

TEST_F(MountTest, EightConcurrentReaders) {
  Mount();
  fsys::path path = Snap(kT2) / "drive-scsi0.img";
  std::vector<std::string> results(8);
  std::vector<std::thread> readers;
  for (size_t r = 0; r < 8; ++r) {
    readers.emplace_back([&, r] {
      // Each reader walks the image in its own order of 1 MiB blocks.
      int fd = open(path.c_str(), O_RDONLY);
      if (fd < 0) return;
      Bytes copy(image2_.size());
      size_t blocks = (copy.size() + (1 << 20) - 1) >> 20;
      for (size_t k = 0; k < blocks; ++k) {
        size_t b = (k * (2 * r + 1) + r) % blocks;
        size_t offset = b << 20, length = std::min<size_t>(1 << 20, copy.size() - offset);
        if (pread(fd, copy.data() + offset, length, static_cast<off_t>(offset)) != static_cast<ssize_t>(length)) break;
      }
      close(fd);
      results[r] = Sha(copy);
    });
  }
  for (std::thread& t : readers) t.join();
  for (const std::string& sha : results) EXPECT_EQ(sha, Sha(image2_));
}

TEST_F(MountTest, SnapshotsAddedAndPrunedWhileMounted) {
  Mount();
  ASSERT_TRUE(fsys::exists(Snap(kT1)));
  int open_fd = open((Snap(kT1) / "drive-scsi0.img").c_str(), O_RDONLY);
  ASSERT_GE(open_fd, 0);

  Bytes image3 = MixedImage(2, 10, 9);
  BackupImage("100", kT3, image3);
  EXPECT_TRUE(WaitFor([&] { return fsys::exists(Snap(kT3) / "drive-scsi0.img"); }, 30));
  EXPECT_TRUE(WaitFor([&] { return fsys::read_symlink(mnt_ / "vm/100/latest") == kT3; }, 30));
  EXPECT_EQ(Sha(ReadFileBytes(Snap(kT3) / "drive-scsi0.img")), Sha(image3));
  EXPECT_TRUE(WaitFor([&] { return nlohmann::json::parse(ReadText(mnt_ / "vm/100/index.json")).size() == 3; }, 30));

  // Prune the oldest (as PBS does: the directory goes, chunks stay until GC).
  fsys::remove_all(fsys::path(store_) / "vm/100" / kT1);
  EXPECT_TRUE(WaitFor([&] {
    std::error_code ec;
    return !fsys::exists(Snap(kT1), ec);
  }, 30));
  EXPECT_TRUE(WaitFor([&] { return nlohmann::json::parse(ReadText(mnt_ / "vm/100/index.json")).size() == 2; }, 30));
  // The file opened before keeps working (its chunks are still there) or fails cleanly.
  Bytes copy(image1_.size());
  ssize_t n = pread(open_fd, copy.data(), copy.size(), 0);
  if (n >= 0) {
    EXPECT_EQ(static_cast<size_t>(n), copy.size());
    EXPECT_EQ(Sha(copy), Sha(image1_));
  } else {
    EXPECT_EQ(errno, EIO);
  }
  close(open_fd);
}

// The sorted names a directory listing (readdir) of `dir` shows.
std::vector<std::string> Listed(const fsys::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fsys::directory_entry& e : fsys::directory_iterator(dir, ec)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// The kernel keeps directory listings (zero-message opendir); those of the datastore's own
// directories still show snapshots, groups and types added and pruned while mounted, once
// each was listed before the change.
TEST_F(MountTest, ListingsShowSnapshotsAddedAndPrunedWhileMounted) {
  Mount();
  const fsys::path group = mnt_ / "vm/100";
  using Names = std::vector<std::string>;
  ASSERT_EQ(Listed(group), (Names{kT1, kT2, "index.json", "latest"})) << MountLog();
  ASSERT_EQ(Listed(mnt_ / "vm"), (Names{"100"}));
  const Names root = Listed(mnt_);
  ASSERT_EQ(std::count(root.begin(), root.end(), "ct"), 0);

  BackupImage("100", kT3, MixedImage(1, 10, 3));
  BackupImage("101", kT1, MixedImage(1, 10, 4));
  const fsys::path tree = tmp_ / "tree";
  fsys::create_directories(tree);
  Cairn({"backup", "dir", store_, "--type", "ct", "--id", "200", "--backup-time", kT1, "root.pxar=" + tree.string()});
  EXPECT_TRUE(WaitFor([&] { return Listed(group) == Names{kT1, kT2, kT3, "index.json", "latest"}; }, 30))
      << testing::PrintToString(Listed(group));
  EXPECT_TRUE(WaitFor([&] { return Listed(mnt_ / "vm") == Names{"100", "101"}; }, 30));
  EXPECT_TRUE(WaitFor([&] {
    Names now = Listed(mnt_);
    return std::count(now.begin(), now.end(), "ct") == 1;
  }, 30));

  fsys::remove_all(fsys::path(store_) / "vm/100" / kT1);
  EXPECT_TRUE(WaitFor([&] { return Listed(group) == Names{kT2, kT3, "index.json", "latest"}; }, 30))
      << testing::PrintToString(Listed(group));
  Unmount();
}

TEST_F(MountTest, EncryptedSnapshotWithoutKey) {
  std::string key = (tmp_ / "key.json").string();
  Cairn({"key", "create", key, "--kdf", "none"});
  Bytes secret = MixedImage(2, 4096, 5);
  Cairn({"backup", "image", store_, "--id", "500", "--backup-time", kT1, "--keyfile", key,
         "drive-scsi0.img=" + WriteInput("secret", secret)});
  Mount();
  fsys::path snap = mnt_ / "vm/500" / kT1;
  auto index = nlohmann::json::parse(ReadText(snap / "index.json"));
  EXPECT_EQ(index["files"][0]["encrypted"], true);
  // No open reaches the mount (zero-message open): the read is refused.
  Bytes got;
  EXPECT_EQ(PreadRange(snap / "drive-scsi0.img", 0, 4096, got), EACCES);
  EXPECT_TRUE(WaitFor([&] { return MountLog().find("key is needed") != std::string::npos; }, 10)) << MountLog();
  Unmount();

  // With the key the same file reads back.
  Mount({"-o", "keyfile=" + key});
  EXPECT_EQ(Sha(ReadFileBytes(snap / "drive-scsi0.img")), Sha(secret));
}

TEST_F(MountTest, AnOpenListingKeepsItsVersion) {
  Mount();
  const fsys::path listing = mnt_ / "vm/100/index.json";
  int fd = open(listing.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  struct stat before {};
  ASSERT_EQ(fstat(fd, &before), 0);
  const std::string old_text = ReadText(listing);
  ASSERT_EQ(static_cast<uint64_t>(before.st_size), old_text.size());
  EXPECT_EQ(nlohmann::json::parse(old_text).size(), 2u);

  BackupImage("100", kT3, MixedImage(1, 10, 9));
  ASSERT_TRUE(WaitFor([&] { return nlohmann::json::parse(ReadText(listing)).size() == 3; }, 30));
  struct stat now {}, still {};
  ASSERT_EQ(stat(listing.c_str(), &now), 0);
  EXPECT_NE(now.st_ino, before.st_ino);  // another version, another inode
  EXPECT_GT(now.st_size, before.st_size);
  // The file opened before keeps the size and the content it had.
  ASSERT_EQ(fstat(fd, &still), 0);
  EXPECT_EQ(still.st_ino, before.st_ino);
  EXPECT_EQ(still.st_size, before.st_size);
  Bytes got;
  ASSERT_EQ(PreadRange(fd, 0, static_cast<size_t>(before.st_size) + 100, got), 0);
  EXPECT_EQ(AsChars(got), old_text);
  close(fd);
}

TEST_F(MountTest, AReadImageLetsGoOfTheSnapshotLockSoonAfter) {
  Mount();
  EXPECT_EQ(Sha(ReadFileBytes(Snap(kT1) / "drive-scsi0.img")), Sha(image1_));
  // A datastore PBS does not know is locked with flocks on the snapshot directory; the
  // image's reader holds a shared one until it has been idle for a few seconds.
  const fsys::path dir = fsys::path(store_) / "vm/100" / kT1;
  EXPECT_TRUE(WaitFor([&] {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    bool locked = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (fd >= 0) close(fd);
    return locked;
  }, 30));
  // Reading again takes the lock again and still works.
  EXPECT_EQ(Sha(ReadFileBytes(Snap(kT2) / "drive-scsi0.img")), Sha(image2_));
}

TEST_F(MountTest, NamespaceOption) {
  Mount({"-o", "namespace=prod/web,cache_size=64M,readahead=4"});
  EXPECT_TRUE(fsys::exists(mnt_ / "vm/300" / kT1 / "drive-scsi0.img"));
  EXPECT_FALSE(fsys::exists(mnt_ / "vm/100"));
}

TEST_F(MountTest, DaemonReturnsWhenReadyAndUnmountsCleanly) {
  CommandResult r = Cairn({"mount", store_, mnt_.string()});
  ASSERT_TRUE(IsCairnMount(mnt_)) << r.err;
  EXPECT_EQ(ReadText(Snap(kT1) / "qemu-server.conf"), "memory: 2048\ncores: 2\n");
  // Find the daemon by its command line.
  pid_t daemon = -1;
  for (const auto& entry : fsys::directory_iterator("/proc")) {
    std::string cmdline = ReadText(entry.path() / "cmdline");
    if (cmdline.find("mount") != std::string::npos && cmdline.find(mnt_.string()) != std::string::npos &&
        cmdline.find("fusermount") == std::string::npos) {
      daemon = std::stoi(entry.path().filename().string());
    }
  }
  EXPECT_GT(daemon, 0);
  EXPECT_EQ(RunProgram({"fusermount3", "-u", mnt_.string()}).exit_code, 0);
  auto gone = [&] {
    // A process that has exited but whose parent (init, or a container's) has not reaped it
    // yet is a zombie: it holds nothing any more.
    std::string stat = ReadText("/proc/" + std::to_string(daemon) + "/stat");
    size_t paren = stat.rfind(')');
    return stat.empty() || (paren != std::string::npos && stat.compare(paren + 2, 1, "Z") == 0);
  };
  EXPECT_TRUE(WaitFor([&] { return !IsCairnMount(mnt_) && (daemon <= 0 || gone()); }, 60));
  // Errors are reported before daemonizing.
  Cairn({"mount", store_, (tmp_ / "no-such-dir").string()}, 3);
  Cairn({"mount", store_, mnt_.string(), "-o", "bogus=1"}, 2);
}

}  // namespace
}  // namespace cairn::test
