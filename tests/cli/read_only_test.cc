// The read-only guarantee (spec §9.4): ls, cat, verify, restore (file archives and image
// filesystems), a mount browsed from top to bottom and NBD clients copying every image leave
// every name, byte, mode and timestamp in the datastore exactly as it was.
//
// The picture holds, for every path: mode (type and permissions), size, the SHA-256 of a
// regular file's contents, and atime, mtime and ctime to the nanosecond, all compared
// exactly. mtime and ctime catch any write, chmod, chown, rename or link (a directory's
// mtime any entry created or removed). atime is meaningful too: the datastore lives on tmpfs
// (TempDir), which records access times under relatime, and every file there was written
// after its last access, so a single read without O_NOATIME would move its atime.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "core/util/hex.h"
#include "tests/fs/mount_fixture.h"
#include "tests/nbd/nbd_server_process.h"
#include "tests/partition/disk_images.h"

namespace cairn::test {
namespace {

constexpr char kTime[] = "2024-05-01T10:00:00Z";

struct Entry {
  mode_t mode;
  off_t size;
  timespec atime, mtime, ctime;
  std::string sha;  // regular files only
  bool operator==(const Entry& o) const {
    auto same = [](const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; };
    return mode == o.mode && size == o.size && same(atime, o.atime) && same(mtime, o.mtime) &&
           same(ctime, o.ctime) && sha == o.sha;
  }
};

// Walks with O_NOATIME (we run as root), so that taking the picture changes nothing itself.
void Record(const std::string& path, const std::string& rel, std::map<std::string, Entry>& out) {
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0) << path;
  Entry e{st.st_mode, st.st_size, st.st_atim, st.st_mtim, st.st_ctim, {}};
  if (S_ISREG(st.st_mode)) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOATIME);
    ASSERT_GE(fd, 0) << path;
    Bytes data(static_cast<size_t>(st.st_size));
    ASSERT_EQ(::pread(fd, data.data(), data.size(), 0), st.st_size);
    ::close(fd);
    e.sha = ToHex(Sha256(data));
  }
  out[rel] = e;
  if (!S_ISDIR(st.st_mode)) return;
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOATIME);
  ASSERT_GE(fd, 0) << path;
  DIR* dir = ::fdopendir(fd);
  std::vector<std::string> names;
  while (dirent* d = ::readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  for (const std::string& name : names) Record(path + "/" + name, rel + "/" + name, out);
}

std::map<std::string, Entry> Picture(const std::string& root) {
  std::map<std::string, Entry> out;
  Record(root, "", out);
  return out;
}

// Every regular file under `dir`, read to its end through the mount; symlinks are not followed.
void ReadEveryFile(const std::filesystem::path& dir, size_t& files) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!std::filesystem::is_regular_file(entry.symlink_status())) continue;
    Bytes got;
    uint64_t size = entry.file_size();
    EXPECT_EQ(PreadRange(entry.path(), 0, size + 1, got), 0) << entry.path();
    EXPECT_EQ(got.size(), size) << entry.path();
    ++files;
  }
}

using ReadOnlyTest = MountFixture;

TEST_F(ReadOnlyTest, ReadingCommandsChangeNothing) {
  ASSERT_EQ(::geteuid(), 0u) << "O_NOATIME on files we do not own needs root, as in CI";
  std::string key = (tmp_ / "key.json").string();
  Cairn({"key", "create", key, "--kdf", "none"});
  Bytes image = MixedImage(3, 1000, 7);
  BackupImage("100", kTime, image, {"qemu-server.conf=" + WriteInput("c", AsBytes("x: 1\n"))});
  Cairn({"backup", "image", store_, "--ns", "a", "--id", "101", "--backup-time", kTime, "--keyfile", key,
         "drive-scsi0.img=" + WriteInput("i2", image)});
  // A whole-disk ext4 image (restored from as drive-scsi0.img.fs/0) and a file archive.
  std::filesystem::path src = tmp_ / "src";
  std::filesystem::create_directories(src / "etc/deep");
  WriteFileBytes(src / "etc/hosts", AsBytes("127.0.0.1 localhost\n"));
  WriteFileBytes(src / "etc/deep/big", MixedImage(0, 300000, 8));
  std::filesystem::create_symlink("hosts", src / "etc/link");
  Bytes ext4 = MakeExt4(tmp_ / "ext4.img", 16 << 20, src);
  BackupImage("102", kTime, ext4);
  Cairn({"backup", "dir", store_, "--id", "web", "--backup-time", kTime, "root=" + src.string()});
  // Let the clock move on so that any access or change would show a different timestamp.
  ::usleep(20000);
  auto before = Picture(store_);
  WriteFileBytes(tmp_ / "datastore.cfg", AsBytes("datastore: s\n\tpath " + store_ + "\n"));

  int round = 0;
  for (const std::string& ds : {store_, std::string("s")}) {  // unlocked and with PBS's lock files
    SCOPED_TRACE(ds);
    const std::filesystem::path out = tmp_ / ("out" + std::to_string(round++));
    std::filesystem::create_directory(out);
    Cairn({"ls", ds});
    Cairn({"ls", ds, "--json"});
    Cairn({"ls", ds, "ns/a"});
    Cairn({"ls", ds, "vm/100"});
    Cairn({"ls", ds, "ns/a/vm/101", "--keyfile", key});
    Cairn({"ls", ds, "vm/100/latest"});
    Cairn({"cat", ds, "vm/100/latest", "drive-scsi0.img"});
    Cairn({"cat", ds, "vm/100/latest", "qemu-server.conf"});
    Cairn({"cat", ds, "vm/100/latest", "index.json.blob"});
    Cairn({"cat", ds, "ns/a/vm/101/latest", "drive-scsi0.img", "--keyfile", key});
    Cairn({"verify", ds});
    Cairn({"verify", ds, "--keyfile", key});
    // Restore: a file archive whole and one file of it, a tree and a file of an image's ext4.
    Cairn({"restore", ds, "host/web/latest", "root.pxar", (out / "pxar").string()});
    Cairn({"restore", ds, "host/web/latest", "root.pxar/etc/hosts", (out / "pxar-file").string()});
    Cairn({"restore", ds, "vm/102/latest", "drive-scsi0.img.fs/0", (out / "ext").string()});
    Cairn({"restore", ds, "vm/102/latest", "drive-scsi0.img.fs/0/etc/deep/big", (out / "ext-big").string()});
    EXPECT_EQ(ReadFileBytes(out / "ext-big"), ReadFileBytes(src / "etc/deep/big"));
    // Mount and browse: list everything, read every file (images, blobs, index.json, files
    // of the archive and of the ext4 filesystem).
    MountWithArguments({"mount", "-f", ds, mnt_.string(), "--keyfile", key});
    CommandResult find = RunProgram({"find", mnt_.string()});
    EXPECT_EQ(find.exit_code, 0) << find.err;
    EXPECT_NE(find.out.find("/vm/102/" + std::string(kTime) + "/drive-scsi0.img.fs/0/etc/deep/big\n"),
              std::string::npos)
        << find.out;
    EXPECT_NE(find.out.find("/host/web/" + std::string(kTime) + "/root.pxar/etc/hosts\n"), std::string::npos)
        << find.out;
    size_t files = 0;
    ReadEveryFile(mnt_, files);
    EXPECT_GE(files, 12u);  // 3 images, 1 blob, 4 index.json, 2 + 2 files of the trees
    Unmount();
    // NBD: attach and copy every image out with nbdcopy.
    {
      NbdServerProcess server(ds, env_, out, {"--keyfile", key});
      for (const std::string group : {"vm/100", "ns/a/vm/101", "vm/102"}) {
        std::filesystem::path copy_path = out / ("copy-" + group.substr(group.size() - 3));
        CommandResult copy =
            RunProgram({"nbdcopy", server.Uri(group + "/" + kTime + "/drive-scsi0.img"), copy_path.string()});
        EXPECT_EQ(copy.exit_code, 0) << group << ": " << copy.err;
        EXPECT_EQ(ReadFileBytes(copy_path), group == "vm/102" ? ext4 : image) << group;
      }
      EXPECT_EQ(server.Stop(), 0) << server.Log();
    }
  }
  auto after = Picture(store_);
  ASSERT_EQ(before.size(), after.size());
  for (const auto& [name, entry] : before) {
    ASSERT_TRUE(after.count(name)) << name << " vanished";
    EXPECT_TRUE(entry == after[name]) << name << " changed";
  }
}

}  // namespace
}  // namespace cairn::test
