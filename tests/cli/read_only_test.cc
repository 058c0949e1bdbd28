// The read-only guarantee (spec §9.4): ls, cat and verify leave every name, byte, mode and
// timestamp in the datastore exactly as it was — access times included.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "core/util/hex.h"
#include "tests/cli/cli_fixture.h"

namespace cairn::test {
namespace {

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

using ReadOnlyTest = CliFixture;

TEST_F(ReadOnlyTest, ReadingCommandsChangeNothing) {
  ASSERT_EQ(::geteuid(), 0u) << "O_NOATIME on files we do not own needs root, as in CI";
  std::string key = (tmp_ / "key.json").string();
  Cairn({"key", "create", key, "--kdf", "none"});
  Bytes image = MixedImage(3, 1000, 7);
  BackupImage("100", "2024-05-01T10:00:00Z", image, {"qemu-server.conf=" + WriteInput("c", AsBytes("x: 1\n"))});
  Cairn({"backup", "image", store_, "--ns", "a", "--id", "101", "--backup-time", "2024-05-01T10:00:00Z", "--keyfile",
         key, "drive-scsi0.img=" + WriteInput("i2", image)});
  // Let the clock move on so that any access or change would show a different timestamp.
  ::usleep(20000);
  auto before = Picture(store_);
  WriteFileBytes(tmp_ / "datastore.cfg", AsBytes("datastore: s\n\tpath " + store_ + "\n"));

  for (const std::string& ds : {store_, std::string("s")}) {  // unlocked and with PBS's lock files
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
