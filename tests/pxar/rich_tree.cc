#include "tests/pxar/rich_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <sstream>
#include <vector>

#include "core/crypto/sha256.h"
#include "core/util/hex.h"
#include "tests/test_support.h"

namespace cairn::test {
namespace {

namespace fsys = std::filesystem;

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

void Run(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) cmd += "'" + a + "' ";
  Check(std::system(cmd.c_str()) == 0, cmd);
}

// Sets distinct mtimes with nanoseconds on everything, children before their parents.
void SetTimes(const fsys::path& dir, int& counter) {
  std::vector<fsys::path> children;
  for (const auto& e : fsys::directory_iterator(dir)) children.push_back(e.path());
  std::sort(children.begin(), children.end());
  for (const fsys::path& p : children) {
    if (fsys::is_directory(fsys::symlink_status(p))) SetTimes(p, counter);
    ++counter;
    struct timespec times[2] = {{1600000000 + counter, counter * 7919L % 1000000000},
                                {1500000000 + counter * 3, static_cast<long>(counter) * 104729L % 1000000000}};
    Check(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0, "utimensat " + p.string());
  }
}

}  // namespace

void MakeRichTree(const fsys::path& root, int wide) {
  fsys::create_directories(root / "etc/sub");
  WriteFileBytes(root / "etc/hosts", AsBytes("127.0.0.1 localhost\n"));
  fsys::create_hard_link(root / "etc/hosts", root / "etc/sub/hosts-again");
  WriteFileBytes(root / "empty", {});
  Bytes random(300 << 10);
  std::mt19937 rng(11);
  for (auto& b : random) b = static_cast<uint8_t>(rng());
  WriteFileBytes(root / "random.bin", random);
  WriteFileBytes(root / "grüße-日本語.txt", AsBytes("unicode\n"));
  WriteFileBytes(root / std::string(255, 'n'), AsBytes("long name\n"));
  fsys::path deep = root / "deep";
  for (int i = 0; i < 40; ++i) deep /= "d" + std::to_string(i);
  fsys::create_directories(deep);
  WriteFileBytes(deep / "bottom", AsBytes("bottom\n"));
  fsys::create_directories(root / "wide");
  for (int i = 0; i < wide; ++i) {
    int fd = ::open((root / "wide" / ("f" + std::to_string(i))).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    Check(fd >= 0, "create");
    ::close(fd);
  }
  fsys::create_symlink("etc/hosts", root / "link");
  fsys::create_symlink("missing/target", root / "dangling");
  Check(::mkfifo((root / "fifo").c_str(), 0640) == 0, "mkfifo");
  Check(::mknod((root / "socket").c_str(), S_IFSOCK | 0755, 0) == 0, "mknod socket");
  Check(::mknod((root / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod char");
  Check(::mknod((root / "sda").c_str(), S_IFBLK | 0660, makedev(8, 0)) == 0, "mknod block");
  Check(::setxattr((root / "etc/hosts").c_str(), "user.note", "a note", 6, 0) == 0, "setxattr");
  Check(::setxattr((root / "random.bin").c_str(), "user.empty", "", 0, 0) == 0, "setxattr");
  Check(::setxattr((root / "etc").c_str(), "user.dir", "d\0x", 3, 0) == 0, "setxattr");
  Check(::chmod((root / "random.bin").c_str(), 04755) == 0, "chmod");
  Check(::chmod((root / "etc/sub").c_str(), 01777) == 0, "chmod");
  Check(::lchown((root / "empty").c_str(), 1234, 5678) == 0, "chown");
  Check(::lchown((root / "link").c_str(), 4321, 8765) == 0, "lchown");
  Run({"setfacl", "-m", "u:1001:rw,g:2002:r", (root / "etc/hosts").string()});
  Run({"setfacl", "-d", "-m", "u:1001:rwx,g::r-x", (root / "etc").string()});
  Run({"setfacl", "-m", "u:1003:rx", (root / "etc").string()});
  int counter = 0;
  SetTimes(root, counter);
}

std::string DescribeTree(const fsys::path& root, bool with_owner) {
  std::vector<fsys::path> paths;
  for (auto it = fsys::recursive_directory_iterator(root); it != fsys::recursive_directory_iterator(); ++it) {
    paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  std::ostringstream out;
  for (const fsys::path& p : paths) {
    struct stat st;
    Check(::lstat(p.c_str(), &st) == 0, "lstat " + p.string());
    out << fsys::relative(p, root).string() << " mode=" << std::oct << st.st_mode << std::dec;
    if (with_owner) out << " owner=" << st.st_uid << ":" << st.st_gid;
    if (!S_ISDIR(st.st_mode)) out << " size=" << st.st_size;
    out << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) out << " rdev=" << major(st.st_rdev) << ":" << minor(st.st_rdev);
    if (S_ISLNK(st.st_mode)) out << " -> " << fsys::read_symlink(p).string();
    if (S_ISREG(st.st_mode) && st.st_size > 0) out << " sha=" << ToHex(Sha256(ReadFileBytes(p))).substr(0, 16);
    char names[4096];
    ssize_t n = ::llistxattr(p.c_str(), names, sizeof names);
    std::vector<std::string> keys;
    for (ssize_t at = 0; n > 0 && at < n; at += static_cast<ssize_t>(std::strlen(names + at)) + 1) keys.emplace_back(names + at);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
      char value[4096];
      ssize_t len = ::lgetxattr(p.c_str(), key.c_str(), value, sizeof value);
      out << " " << key << "=" << (len < 0 ? "?" : ToHex(ByteView(reinterpret_cast<uint8_t*>(value), static_cast<size_t>(len))));
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace cairn::test
