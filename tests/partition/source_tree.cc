#include "tests/partition/source_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>

#include "tests/test_support.h"

namespace cairn::test {
namespace {

namespace fsys = std::filesystem;

void SetTime(const fsys::path& path, int64_t sec, long nsec) {
  timespec times[2] = {{static_cast<time_t>(sec), nsec}, {static_cast<time_t>(sec), nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

void Own(const fsys::path& path, uid_t uid, gid_t gid) {
  if (geteuid() == 0) {
    ASSERT_EQ(lchown(path.c_str(), uid, gid), 0) << path;
  }
}

std::string Slurp(const fsys::path& path) {
  Bytes data = ReadFileBytes(path);
  return std::string(data.begin(), data.end());
}

}  // namespace

void MakeSourceTree(const fsys::path& root) {
  fsys::create_directories(root / "etc/deep/er");
  fsys::create_directories(root / "bin");
  fsys::create_directories(root / "private");
  WriteFileBytes(root / "etc/fstab", AsBytes("UUID=1234 / ext4 defaults 0 1\n"));
  WriteFileBytes(root / "etc/deep/er/note.txt", AsBytes("deep down\n"));
  WriteFileBytes(root / "empty", {});
  Bytes big(5 * 1024 * 1024 + 123);
  std::mt19937 rng(42);
  for (uint8_t& b : big) b = static_cast<uint8_t>(rng());
  WriteFileBytes(root / "bin/big", big);
  fsys::create_hard_link(root / "etc/fstab", root / "etc/fstab.hardlink");
  fsys::create_symlink("etc/fstab", root / "short-link");
  fsys::create_symlink("/" + std::string(200, 'x') + "/target", root / "long-link");
  chmod((root / "bin/big").c_str(), 0755);
  chmod((root / "etc/fstab").c_str(), 0640);
  chmod((root / "private").c_str(), 0700);
  Own(root / "etc/fstab", 1234, 5678);
  Own(root / "private", 42, 43);
  setxattr((root / "etc/deep/er/note.txt").c_str(), "user.comment", "hello", 5, 0);
  SetTime(root / "etc/fstab", 1700000000, 123456789);
  SetTime(root / "bin/big", 1600000000, 0);
  SetTime(root / "short-link", 1500000000, 5);
  SetTime(root / "private", 1400000000, 999);
}

size_t CompareTrees(const fsys::path& source, const fsys::path& copy, const CompareOptions& options) {
  size_t compared = 0;
  std::map<ino_t, ino_t> inode_of_copy;  // source inode -> copy inode, for hard links
  for (auto it = fsys::recursive_directory_iterator(source); it != fsys::recursive_directory_iterator();
       ++it) {
    fsys::path rel = it->path().lexically_relative(source);
    fsys::path other = copy / rel;
    struct stat a, b;
    if (lstat(it->path().c_str(), &a) != 0) continue;
    if (lstat(other.c_str(), &b) != 0) {
      ADD_FAILURE() << rel << " is missing from " << copy;
      continue;
    }
    ++compared;
    EXPECT_EQ(a.st_mode, b.st_mode) << rel;
    if (!S_ISDIR(a.st_mode)) {
      EXPECT_EQ(a.st_size, b.st_size) << rel;
    }
    if (options.owners) {
      EXPECT_EQ(a.st_uid, b.st_uid) << rel;
      EXPECT_EQ(a.st_gid, b.st_gid) << rel;
    }
    if (options.times && !S_ISDIR(a.st_mode)) {
      EXPECT_EQ(a.st_mtim.tv_sec, b.st_mtim.tv_sec) << rel;
    }
    if (options.inode_links && !S_ISDIR(a.st_mode)) {
      EXPECT_EQ(a.st_nlink, b.st_nlink) << rel;
      auto [known, inserted] = inode_of_copy.emplace(a.st_ino, b.st_ino);
      if (!inserted) {
        EXPECT_EQ(known->second, b.st_ino) << rel << " should be a hard link";
      }
    }
    if (S_ISREG(a.st_mode)) {
      EXPECT_TRUE(Slurp(it->path()) == Slurp(other)) << rel << " differs";
    }
    if (S_ISLNK(a.st_mode)) {
      EXPECT_EQ(fsys::read_symlink(it->path()), fsys::read_symlink(other)) << rel;
    }
  }
  std::set<std::string> extra;
  for (auto it = fsys::recursive_directory_iterator(copy); it != fsys::recursive_directory_iterator(); ++it) {
    fsys::path rel = it->path().lexically_relative(copy);
    if (rel == "lost+found" || rel.begin()->string() == "lost+found") continue;
    if (!fsys::exists(fsys::symlink_status(source / rel))) extra.insert(rel.string());
  }
  EXPECT_TRUE(extra.empty()) << "in the copy only: " << *extra.begin();
  return compared;
}

}  // namespace cairn::test
