// An ext2/3/4 filesystem read through libext2fs from a BlockSource (block_io_manager.h),
// read-only: opened without EXT2_FLAG_RW, on a channel that refuses writes. A journal that
// needs recovery is not replayed, so the view is what `mount -o ro,noload` shows.
//
// Thread safety: libext2fs keeps per-filesystem state (inode and block caches, the I/O
// channel) without locking, so every method takes the object's mutex; different
// filesystems are independent. Methods throw Error: kNotFound for an inode or name that is
// not there, kInvalidInput for the wrong kind of inode (reading a directory), kCorrupt for
// damaged metadata (with libext2fs's message), or whatever the source raised (kCrypto, kIo).
#pragma once

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/image_fs/block_io_manager.h"

namespace cairn {

struct ExtTime {
  int64_t sec = 0;
  uint32_t nsec = 0;  // 0 on filesystems with 128-byte inodes
};

struct ExtStat {
  uint32_t ino = 0;
  uint32_t mode = 0;  // type and permission bits, as st_mode
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 0;
  uint64_t size = 0;    // bytes (symlinks: the target's length)
  uint64_t blocks = 0;  // 512-byte blocks allocated
  uint64_t rdev = 0;    // device number of character and block devices (Linux encoding)
  ExtTime atime, mtime, ctime;
};

struct ExtDirEntry {
  std::string name;
  uint32_t ino;
  uint8_t file_type;  // EXT2_FT_REG_FILE, EXT2_FT_DIR, EXT2_FT_SYMLINK, ...; EXT2_FT_UNKNOWN without the
                      // filetype feature
};

class ExtFilesystem {
 public:
  static constexpr uint32_t kRootIno = EXT2_ROOT_INO;

  // Opens the filesystem on `source`. `description` ("<archive>.parts/1") prefixes errors.
  // Throws kCorrupt "not an ext2/3/4 filesystem" when the superblock magic is missing.
  ExtFilesystem(std::shared_ptr<BlockSource> source, std::string description);
  ~ExtFilesystem();
  ExtFilesystem(const ExtFilesystem&) = delete;
  ExtFilesystem& operator=(const ExtFilesystem&) = delete;

  // True when the superblock of `source` carries the ext2/3/4 magic.
  static bool Probe(BlockSource& source);

  const std::string& description() const { return description_; }
  // The volume label and UUID from the superblock.
  std::string label() const;
  std::string uuid() const;

  ExtStat Stat(uint32_t ino);
  // The entries of directory `dir`, without "." and "..", in on-disk order.
  std::vector<ExtDirEntry> List(uint32_t dir);
  // The inode of `name` in directory `dir`; nullopt when there is none.
  std::optional<uint32_t> Lookup(uint32_t dir, std::string_view name);
  // The inode at `path` ("etc/fstab", "/etc/fstab"; "" and "/" are the root), following
  // symlinks in directories on the way but not a final one; nullopt when a component is
  // missing. Symlink targets resolve within this filesystem.
  std::optional<uint32_t> Resolve(std::string_view path);
  // Reads a regular file; returns the bytes read, 0 at or past the end.
  size_t Read(uint32_t ino, uint64_t offset, std::span<uint8_t> out);
  // The target of a symlink.
  std::string ReadLink(uint32_t ino);
  // Extended attributes as name -> value ("user.comment", "security.selinux", ...);
  // POSIX ACLs appear as system.posix_acl_access in the kernel's xattr format.
  std::vector<std::pair<std::string, std::string>> Xattrs(uint32_t ino);

 private:
  // REQUIRES mu_ held. Throws for a failed libext2fs call: the source's own error when it
  // raised one, else kCorrupt (kNotFound for EXT2_ET_FILE_NOT_FOUND) naming `what`.
  void Check(errcode_t rc, const std::string& what);
  ext2_inode_large ReadInode(uint32_t ino);  // REQUIRES mu_ held
  // REQUIRES mu_ held. ReadInode, and throws kInvalidInput ("inode N is not <what>") unless
  // the inode's file type is `type` (LINUX_S_IFREG, ...).
  ext2_inode_large ReadInodeOfType(uint32_t ino, uint16_t type, const char* what);

  const std::shared_ptr<BlockSource> source_;
  const std::string description_;
  std::mutex mu_;
  BlockIoTarget target_;      // guarded by mu_; the channel's view of source_
  ext2_filsys fs_ = nullptr;  // guarded by mu_
};

}  // namespace cairn
