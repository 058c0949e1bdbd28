#include "core/image_fs/ext_restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <map>
#include <set>
#include <vector>

#include "core/util/bytes.h"

namespace cairn {
namespace {

constexpr size_t kCopyBuffer = 1 << 20;
constexpr std::string_view kInlineDataXattr = "system.data";  // libext2fs's view of inline data, not an xattr

[[noreturn]] void Fail(const std::string& what, const std::filesystem::path& path) {
  throw SystemError(what + " " + path.string(), errno);
}

// Closes a file descriptor on every path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

timespec Timespec(const ExtTime& t) {
  return timespec{static_cast<time_t>(t.sec), static_cast<long>(t.nsec)};
}

bool IsPlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// A name as it can be shown on a terminal: bytes outside printable ASCII, and backslashes, as \xNN.
std::string Printable(const std::string& name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : name) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

class Restorer {
 public:
  Restorer(ExtFilesystem& fs, const ExtRestoreOptions& options) : fs_(fs), options_(options) {}

  void Restore(uint32_t ino, const std::filesystem::path& target) {
    ExtStat st = fs_.Stat(ino);
    bool dir = S_ISDIR(st.mode);
    ClearTarget(target, dir);
    if (!dir && st.nlink > 1) {
      auto it = restored_.find(ino);
      if (it != restored_.end()) {
        if (::link(it->second.c_str(), target.c_str()) != 0) Fail("link", target);
        ++stats_.hardlinks;
        return;
      }
      restored_.emplace(ino, target);
    }
    if (S_ISREG(st.mode)) {
      RestoreFile(st, target);
    } else if (dir) {
      RestoreDirectory(st, target);
    } else if (S_ISLNK(st.mode)) {
      if (::symlink(fs_.ReadLink(ino).c_str(), target.c_str()) != 0) Fail("symlink", target);
      ++stats_.symlinks;
      SetMetadata(st, target, /*xattrs=*/false);
    } else if (options_.owners) {
      if (::mknod(target.c_str(), st.mode, static_cast<dev_t>(st.rdev)) != 0) Fail("mknod", target);
      ++stats_.specials;
      SetMetadata(st, target, true);
    } else {
      ++stats_.skipped;
      restored_.erase(ino);
    }
  }

  const ExtRestoreStats& stats() const { return stats_; }

 private:
  // Makes room for the target: fails unless overwriting; an existing directory stays when a
  // directory is restored onto it (the trees merge).
  void ClearTarget(const std::filesystem::path& target, bool dir) {
    struct stat st;
    if (::lstat(target.c_str(), &st) != 0) {
      if (errno == ENOENT) return;
      Fail("lstat", target);
    }
    if (!options_.overwrite)
      throw Error(ErrorKind::kInvalidInput,
                  target.string() + " exists (restore does not overwrite without being told to)");
    if (S_ISDIR(st.st_mode)) {
      if (dir) return;
      throw Error(ErrorKind::kInvalidInput, target.string() + " is a directory; a file cannot replace it");
    }
    if (::unlink(target.c_str()) != 0) Fail("unlink", target);
  }

  void RestoreFile(const ExtStat& st, const std::filesystem::path& target) {
    Fd out{::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (out.fd < 0) Fail("create", target);
    Bytes buffer(std::min<uint64_t>(kCopyBuffer, std::max<uint64_t>(st.size, 1)));
    for (uint64_t offset = 0; offset < st.size;) {
      size_t n = fs_.Read(st.ino, offset, buffer);
      if (n == 0) {
        throw Error(ErrorKind::kCorrupt, fs_.description() + ": inode " + std::to_string(st.ino) +
                                             " ends at " + std::to_string(offset) + " of " +
                                             std::to_string(st.size) + " bytes");
      }
      for (size_t done = 0; done < n;) {
        ssize_t w = ::pwrite(out.fd, buffer.data() + done, n - done, static_cast<off_t>(offset + done));
        if (w < 0) {
          if (errno == EINTR) continue;
          Fail("write", target);
        }
        done += static_cast<size_t>(w);
      }
      offset += n;
      stats_.bytes += n;
    }
    ++stats_.files;
    SetMetadata(st, target, true);
  }

  void RestoreDirectory(const ExtStat& st, const std::filesystem::path& target) {
    if (!directories_.insert(st.ino).second) {
      throw Error(ErrorKind::kCorrupt, fs_.description() + ": directory inode " + std::to_string(st.ino) +
                                           " appears twice (a directory loop)");
    }
    if (::mkdir(target.c_str(), 0700) != 0 && errno != EEXIST) Fail("mkdir", target);
    ++stats_.directories;
    std::set<std::string> names;
    for (const ExtDirEntry& entry : fs_.List(st.ino)) {
      if (!IsPlainName(entry.name)) {
        Refuse(target, entry, "is not a plain file name");
      } else if (!names.insert(entry.name).second) {
        Refuse(target, entry, "repeats a name of the directory");
      } else {
        Restore(entry.ino, target / entry.name);
      }
    }
    // Last: a read-only mode would have kept the children out, and they change the mtime.
    SetMetadata(st, target, true);
  }

  void Refuse(const std::filesystem::path& dir, const ExtDirEntry& entry, const std::string& why) {
    ++stats_.refused;
    if (options_.refused) {
      options_.refused(fs_.description() + ": entry \"" + Printable(entry.name) + "\" (inode " +
                       std::to_string(entry.ino) + ") in " + dir.string() + " " + why);
    }
  }

  // Owner, mode, xattrs and times of `target`, in that order: chown clears set-id bits and
  // setting anything but the times changes the ctime only.
  void SetMetadata(const ExtStat& st, const std::filesystem::path& target, bool xattrs) {
    bool link = S_ISLNK(st.mode);
    if (options_.owners && ::lchown(target.c_str(), st.uid, st.gid) != 0) Fail("chown", target);
    if (!link && ::chmod(target.c_str(), st.mode & 07777) != 0) Fail("chmod", target);
    if (xattrs && options_.xattrs) {
      for (const auto& [name, value] : fs_.Xattrs(st.ino)) {
        if (name == kInlineDataXattr) continue;
        if (::lsetxattr(target.c_str(), name.c_str(), value.data(), value.size(), 0) != 0)
          ++stats_.xattr_failures;
      }
    }
    timespec times[2] = {Timespec(st.atime), Timespec(st.mtime)};
    if (::utimensat(AT_FDCWD, target.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) Fail("set times of", target);
  }

  ExtFilesystem& fs_;
  const ExtRestoreOptions& options_;
  ExtRestoreStats stats_;
  std::map<uint32_t, std::filesystem::path> restored_;  // multiply linked inodes -> their first restored name
  std::set<uint32_t> directories_;  // entered so far, against loops in damaged filesystems
};

}  // namespace

ExtRestoreStats RestoreExtPath(ExtFilesystem& fs, std::string_view path, const std::filesystem::path& target,
                               const ExtRestoreOptions& options) {
  std::optional<uint32_t> ino = fs.Resolve(path);
  if (!ino) throw Error(ErrorKind::kNotFound, fs.description() + ": no " + std::string(path));
  Restorer restorer(fs, options);
  restorer.Restore(*ino, target);
  return restorer.stats();
}

}  // namespace cairn
