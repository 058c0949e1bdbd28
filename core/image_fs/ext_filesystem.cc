#include "core/image_fs/ext_filesystem.h"

#include <et/com_err.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "core/util/bytes.h"

namespace cairn {
namespace {

constexpr uint64_t kSuperblockOffset = 1024;
constexpr size_t kMagicOffset = 56;  // s_magic within the superblock
constexpr uint64_t kMaxLinkTarget = 64 << 10;

// libext2fs's messages for its error codes need its com_err table registered once.
void RegisterErrorTable() {
  static std::once_flag once;
  std::call_once(once, [] { initialize_ext2_error_table(); });
}

std::string HexUuid(const uint8_t* u) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kDigits[u[i] >> 4];
    out += kDigits[u[i] & 15];
  }
  return out;
}

// An ext4 inode timestamp: 32 signed seconds plus, in large inodes, 2 epoch bits and
// nanoseconds in the matching _extra field.
ExtTime TimeOf(const ext2_inode_large& inode, uint32_t seconds, size_t extra_offset, const __u32& extra) {
  ExtTime t{static_cast<int32_t>(seconds), 0};
  if (extra_offset + sizeof(__u32) <= EXT2_GOOD_OLD_INODE_SIZE + size_t{inode.i_extra_isize}) {
    t.sec += static_cast<int64_t>(extra & EXT4_EPOCH_MASK) << 32;
    t.nsec = extra >> EXT4_EPOCH_BITS;
  }
  return t;
}

// Closes a libext2fs file on every path.
struct FileCloser {
  ext2_file_t file = nullptr;
  ~FileCloser() {
    if (file) ext2fs_file_close(file);
  }
};

}  // namespace

bool ExtFilesystem::Probe(BlockSource& source) {
  uint8_t magic[2];
  return source.Read(kSuperblockOffset + kMagicOffset, magic) == 2 &&
         LoadLE<uint16_t>(magic) == EXT2_SUPER_MAGIC;
}

ExtFilesystem::ExtFilesystem(std::shared_ptr<BlockSource> source, std::string description)
    : source_(std::move(source)), description_(std::move(description)) {
  RegisterErrorTable();
  target_.source = source_.get();
  std::string name = BlockIoName(target_);
  std::lock_guard lock(mu_);
  errcode_t rc = ext2fs_open2(name.c_str(), nullptr, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, 0, 0,
                              BlockIoManager(), &fs_);
  if (rc == EXT2_ET_BAD_MAGIC)
    throw Error(ErrorKind::kCorrupt, description_ + ": not an ext2/3/4 filesystem");
  Check(rc, "opening the filesystem");
}

ExtFilesystem::~ExtFilesystem() {
  std::lock_guard lock(mu_);
  if (fs_) ext2fs_close_free(&fs_);
}

void ExtFilesystem::Check(errcode_t rc, const std::string& what) {
  if (rc == 0) return;
  if (target_.error) {
    Error e = target_.error->WithContext(description_ + ": " + what);
    target_.error.reset();
    throw e;
  }
  ErrorKind kind = rc == EXT2_ET_FILE_NOT_FOUND ? ErrorKind::kNotFound : ErrorKind::kCorrupt;
  throw Error(kind, description_ + ": " + what + ": " + error_message(rc));
}

std::string ExtFilesystem::label() const {
  const char* name = reinterpret_cast<const char*>(fs_->super->s_volume_name);
  return std::string(name, strnlen(name, sizeof fs_->super->s_volume_name));
}

std::string ExtFilesystem::uuid() const {
  return HexUuid(fs_->super->s_uuid);
}

ext2_inode_large ExtFilesystem::ReadInode(uint32_t ino) {
  if (ino == 0 || ino > fs_->super->s_inodes_count) {
    throw Error(ErrorKind::kNotFound, description_ + ": no inode " + std::to_string(ino));
  }
  ext2_inode_large inode;
  std::memset(&inode, 0, sizeof inode);
  Check(ext2fs_read_inode_full(fs_, ino, reinterpret_cast<ext2_inode*>(&inode), sizeof inode),
        "reading inode " + std::to_string(ino));
  return inode;
}

ext2_inode_large ExtFilesystem::ReadInodeOfType(uint32_t ino, uint16_t type, const char* what) {
  ext2_inode_large inode = ReadInode(ino);
  if ((inode.i_mode & LINUX_S_IFMT) != type) {
    throw Error(ErrorKind::kInvalidInput, description_ + ": inode " + std::to_string(ino) + " is not " + what);
  }
  return inode;
}

ExtStat ExtFilesystem::Stat(uint32_t ino) {
  std::lock_guard lock(mu_);
  ext2_inode_large inode = ReadInode(ino);
  auto* small = reinterpret_cast<ext2_inode*>(&inode);
  ExtStat st;
  st.ino = ino;
  st.mode = inode.i_mode;
  st.uid = inode_uid(inode);
  st.gid = inode_gid(inode);
  st.nlink = inode.i_links_count;
  st.size = EXT2_I_SIZE(&inode);
  st.blocks = ext2fs_get_stat_i_blocks(fs_, small);
  if (LINUX_S_ISCHR(inode.i_mode) || LINUX_S_ISBLK(inode.i_mode)) {
    uint32_t old_dev = inode.i_block[0], new_dev = inode.i_block[1];
    st.rdev = old_dev != 0
                  ? makedev((old_dev >> 8) & 0xff, old_dev & 0xff)
                  : makedev((new_dev & 0xfff00) >> 8, (new_dev & 0xff) | ((new_dev >> 12) & 0xfff00));
  }
  st.atime = TimeOf(inode, inode.i_atime, offsetof(ext2_inode_large, i_atime_extra), inode.i_atime_extra);
  st.mtime = TimeOf(inode, inode.i_mtime, offsetof(ext2_inode_large, i_mtime_extra), inode.i_mtime_extra);
  st.ctime = TimeOf(inode, inode.i_ctime, offsetof(ext2_inode_large, i_ctime_extra), inode.i_ctime_extra);
  return st;
}

std::vector<ExtDirEntry> ExtFilesystem::List(uint32_t dir) {
  std::lock_guard lock(mu_);
  ReadInodeOfType(dir, LINUX_S_IFDIR, "a directory");
  std::vector<ExtDirEntry> entries;
  auto collect = [](ext2_ino_t, int entry, ext2_dir_entry* dirent, int, int, char*, void* data) -> int {
    if (entry == DIRENT_DOT_FILE || entry == DIRENT_DOT_DOT_FILE) return 0;
    auto* out = static_cast<std::vector<ExtDirEntry>*>(data);
    out->push_back({std::string(dirent->name, static_cast<size_t>(ext2fs_dirent_name_len(dirent))),
                    dirent->inode, static_cast<uint8_t>(ext2fs_dirent_file_type(dirent))});
    return 0;
  };
  Check(ext2fs_dir_iterate2(fs_, dir, 0, nullptr, collect, &entries),
        "listing directory inode " + std::to_string(dir));
  return entries;
}

std::optional<uint32_t> ExtFilesystem::Lookup(uint32_t dir, std::string_view name) {
  std::lock_guard lock(mu_);
  if (!LINUX_S_ISDIR(ReadInode(dir).i_mode)) return std::nullopt;
  ext2_ino_t ino = 0;
  errcode_t rc = ext2fs_lookup(fs_, dir, name.data(), static_cast<int>(name.size()), nullptr, &ino);
  if (rc == EXT2_ET_FILE_NOT_FOUND) return std::nullopt;
  Check(rc, "looking up " + std::string(name));
  return ino;
}

std::optional<uint32_t> ExtFilesystem::Resolve(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return kRootIno;
  std::lock_guard lock(mu_);
  ext2_ino_t ino = 0;
  std::string name(path);
  errcode_t rc = ext2fs_namei(fs_, kRootIno, kRootIno, name.c_str(), &ino);
  if (rc == EXT2_ET_FILE_NOT_FOUND || rc == EXT2_ET_NO_DIRECTORY) return std::nullopt;
  Check(rc, "resolving " + name);
  return ino;
}

size_t ExtFilesystem::Read(uint32_t ino, uint64_t offset, std::span<uint8_t> out) {
  std::lock_guard lock(mu_);
  ext2_inode_large inode = ReadInodeOfType(ino, LINUX_S_IFREG, "a regular file");
  uint64_t size = EXT2_I_SIZE(&inode);
  if (offset >= size || out.empty()) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), size - offset));
  std::string what = "reading inode " + std::to_string(ino);
  FileCloser file;
  Check(ext2fs_file_open2(fs_, ino, reinterpret_cast<ext2_inode*>(&inode), 0, &file.file), what);
  Check(ext2fs_file_llseek(file.file, offset, EXT2_SEEK_SET, nullptr), what);
  size_t done = 0;
  while (done < want) {
    unsigned int got = 0;
    unsigned int chunk = static_cast<unsigned int>(std::min<size_t>(want - done, 1u << 30));
    Check(ext2fs_file_read(file.file, out.data() + done, chunk, &got), what);
    if (got == 0) break;
    done += got;
  }
  return done;
}

std::string ExtFilesystem::ReadLink(uint32_t ino) {
  std::lock_guard lock(mu_);
  ext2_inode_large inode = ReadInodeOfType(ino, LINUX_S_IFLNK, "a symbolic link");
  uint64_t size = EXT2_I_SIZE(&inode);
  if (size > kMaxLinkTarget) {
    throw Error(ErrorKind::kCorrupt, description_ + ": symlink inode " + std::to_string(ino) + " claims " +
                                         std::to_string(size) + " bytes");
  }
  auto* small = reinterpret_cast<ext2_inode*>(&inode);
  if (ext2fs_is_fast_symlink(small)) {
    size = std::min<uint64_t>(size, sizeof inode.i_block);
    return std::string(reinterpret_cast<const char*>(inode.i_block), size);
  }
  std::string target(size, '\0');
  std::string what = "reading symlink inode " + std::to_string(ino);
  FileCloser file;
  Check(ext2fs_file_open2(fs_, ino, small, 0, &file.file), what);
  unsigned int got = 0;
  Check(ext2fs_file_read(file.file, target.data(), static_cast<unsigned int>(size), &got), what);
  target.resize(got);
  return target;
}

std::vector<std::pair<std::string, std::string>> ExtFilesystem::Xattrs(uint32_t ino) {
  std::lock_guard lock(mu_);
  ReadInode(ino);
  std::string what = "reading the xattrs of inode " + std::to_string(ino);
  ext2_xattr_handle* handle = nullptr;
  Check(ext2fs_xattrs_open(fs_, ino, &handle), what);
  struct Closer {
    ext2_xattr_handle*& h;
    ~Closer() { ext2fs_xattrs_close(&h); }
  } closer{handle};
  Check(ext2fs_xattrs_read(handle), what);
  std::vector<std::pair<std::string, std::string>> out;
  auto collect = [](char* name, char* value, size_t length, void* data) -> int {
    static_cast<std::vector<std::pair<std::string, std::string>>*>(data)->emplace_back(
        name, std::string(value, length));
    return 0;
  };
  Check(ext2fs_xattrs_iterate(handle, collect, &out), what);
  return out;
}

}  // namespace cairn
