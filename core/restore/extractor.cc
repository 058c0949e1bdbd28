#include "core/restore/extractor.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/pxar/acl_xattr.h"
#include "core/pxar/file_flags.h"
#include "core/util/error.h"
#include "core/util/file.h"
#include "core/write/exclude_patterns.h"

namespace cairn {
namespace {

constexpr size_t kCopyBuffer = 1 << 20;
constexpr int kMaxDepth = 512;

// An entry refused on purpose or failed; the message names its path.
struct Skip {
  std::string message;
};

std::string Join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

// Whether symlink `target`, placed in a directory `depth` levels below the restore target,
// resolves (lexically) to somewhere outside it.
bool EscapesTarget(std::string_view target, size_t depth) {
  if (target.starts_with('/')) return true;
  long level = static_cast<long>(depth);
  for (std::string_view c : Components(target)) {
    if (c == "..") {
      if (--level < 0) return true;
    } else if (!c.empty() && c != ".") {
      ++level;
    }
  }
  return false;
}

bool IsAllZero(ByteView data) {
  return std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; });
}

int OpenBeneath(int root, const std::string& path, uint64_t flags) {
  struct open_how how {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how));
}

// chattr flags that forbid new hardlinks to a file (linkat fails with EPERM).
constexpr unsigned long kNoLinkFlags = FS_IMMUTABLE_FL | FS_APPEND_FL;

class Extractor {
 public:
  Extractor(const pxar::Accessor& accessor, std::string start_path, const RestoreOptions& options,
            const RestoreCallbacks& callbacks)
      : accessor_(accessor), start_path_(std::move(start_path)), options_(options), callbacks_(callbacks) {
    for (const std::string& p : options.includes) includes_.Add(p, "");
    for (const std::string& p : options.excludes) excludes_.Add(p, "");
  }

  RestoreStats Run(const pxar::Entry& start, const std::filesystem::path& target) {
    std::error_code ec;
    std::filesystem::create_directories(target, ec);
    if (ec) throw Error(ErrorKind::kIo, "cannot create " + target.string() + ": " + ec.message());
    Dir root{nullptr, "", "", start, UniqueFd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), 0, true};
    if (!root.fd) throw SystemError("cannot open " + target.string(), errno);
    root_fd_ = root.fd.get();
    if (start.kind == pxar::EntryKind::kDirectory) {
      Walk(root, includes_.size() == 0);
      Guard(".", [&] { ApplyMetadata(root.fd.get(), -1, "", ".", start); });
    } else {
      Guard(start.name, [&] { RestoreEntry(root, start, start.name, true); });
    }
    return stats_;
  }

 private:
  struct Dir {
    Dir* parent;
    std::string name;
    std::string rel;   // below the target
    pxar::Entry entry;
    UniqueFd fd;       // open once created
    int depth;
    bool created;      // by us or reused: metadata is applied at the end
  };

  template <typename Body>
  void Guard(const std::string& rel, Body body) {
    try {
      body();
    } catch (const Skip& s) {
      Warn(s.message);
    } catch (const Error& e) {
      Warn(rel + ": " + e.what());
    }
  }

  void Warn(const std::string& message) {
    ++stats_.skipped;
    if (callbacks_.warn) callbacks_.warn(message);
  }

  [[noreturn]] static void Fail(const std::string& rel, const std::string& what, int err = 0) {
    throw Skip{rel + ": " + what + (err ? std::string(": ") + std::strerror(err) : std::string())};
  }

  // Creates `dir` (and its parents) on first need.
  void Ensure(Dir& dir) {
    if (dir.fd) return;
    Ensure(*dir.parent);
    const int parent = dir.parent->fd.get();
    if (::mkdirat(parent, dir.name.c_str(), 0700) != 0 && errno != EEXIST) Fail(dir.rel, "cannot create directory", errno);
    UniqueFd fd(::openat(parent, dir.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) Fail(dir.rel, "exists and is not a directory (or is a symlink); not replaced", errno);
    dir.fd = std::move(fd);
    dir.created = true;
  }

  bool Included(const std::string& rel, bool is_dir, bool under_included) const {
    if (excludes_.Excluded(rel, is_dir)) return false;
    return under_included || includes_.Excluded(rel, is_dir);
  }

  void Walk(Dir& dir, bool all) {
    if (dir.depth > kMaxDepth) Fail(dir.rel, "nested deeper than " + std::to_string(kMaxDepth) + " directories");
    accessor_.List(
        dir.entry,
        [&](pxar::Entry&& e) {
          const std::string rel = Join(dir.rel, e.name);
          if (e.kind == pxar::EntryKind::kDirectory) {
            if (excludes_.Excluded(rel, true)) return;
            const bool whole = all || includes_.Excluded(rel, true);
            Dir child{&dir, e.name, rel, std::move(e), UniqueFd(), dir.depth + 1, false};
            Guard(rel, [&] {
              if (whole) Ensure(child);
              Walk(child, whole);
            });
            if (child.created) {
              Guard(rel, [&] { ApplyMetadata(child.fd.get(), -1, "", rel, child.entry); });
              Count(0);
            }
            return;
          }
          if (!Included(rel, false, all)) return;
          Guard(rel, [&] {
            Ensure(dir);
            RestoreEntry(dir, e, rel, false);
          });
        },
        [&](const Error& error) { Warn(std::string("refused: ") + error.what()); });
  }

  void Count(uint64_t bytes) {
    ++stats_.entries;
    stats_.bytes += bytes;
    if (callbacks_.progress) callbacks_.progress(stats_);
  }

  // Removes an existing non-directory `name` with --overwrite, else refuses.
  void Replace(int dirfd, const std::string& name, const std::string& rel) {
    if (!options_.overwrite) Fail(rel, "already exists (use --overwrite to replace it)");
    if (::unlinkat(dirfd, name.c_str(), 0) != 0) Fail(rel, "cannot replace", errno);
  }

  void RestoreEntry(Dir& dir, const pxar::Entry& e, const std::string& rel, bool top) {
    const int dirfd = dir.fd.get();
    const std::string& name = e.name;
    if (!e.hardlink_path.empty() && !top && Hardlink(dirfd, e, rel)) return;
    switch (e.kind) {
      case pxar::EntryKind::kFile:
        WriteFile(dirfd, e, rel);
        return;
      case pxar::EntryKind::kSymlink:
        if (EscapesTarget(e.link_target, static_cast<size_t>(dir.depth))) {
          Fail(rel, "refused: symlink points outside the target (" + e.link_target + ")");
        }
        while (::symlinkat(e.link_target.c_str(), dirfd, name.c_str()) != 0) {
          if (errno != EEXIST) Fail(rel, "cannot create symlink", errno);
          Replace(dirfd, name, rel);
        }
        break;
      case pxar::EntryKind::kDevice:
      case pxar::EntryKind::kFifo:
      case pxar::EntryKind::kSocket: {
        dev_t dev = e.kind == pxar::EntryKind::kDevice ? pxar::MakeDev(e.dev_major, e.dev_minor) : 0;
        while (::mknodat(dirfd, name.c_str(), static_cast<mode_t>(e.meta.stat.mode & (S_IFMT | 0777)), dev) != 0) {
          if (errno != EEXIST) Fail(rel, "cannot create special file", errno);
          Replace(dirfd, name, rel);
        }
        break;
      }
      case pxar::EntryKind::kDirectory:
        return;  // walked by the caller
    }
    ApplyMetadata(-1, dirfd, name, rel, e);
    Count(0);
  }

  // Links `rel` to the already restored first name of its file; false when that name is
  // not part of this restore (the caller then writes the contents).
  bool Hardlink(int dirfd, const pxar::Entry& e, const std::string& rel) {
    std::string_view path = e.hardlink_path;
    if (path.starts_with('/')) path.remove_prefix(1);
    for (std::string_view c : Components(path)) {
      if (!pxar::IsValidFilename(c)) Fail(rel, "refused: hardlink to a path outside the archive (" + e.hardlink_path + ")");
    }
    if (!start_path_.empty()) {
      if (!path.starts_with(start_path_ + "/")) return false;
      path.remove_prefix(start_path_.size() + 1);
    }
    size_t slash = path.rfind('/');
    std::string parent = slash == std::string_view::npos ? "." : std::string(path.substr(0, slash));
    std::string base(slash == std::string_view::npos ? path : path.substr(slash + 1));
    UniqueFd parent_fd(OpenBeneath(root_fd_, parent, O_PATH | O_DIRECTORY));
    if (!parent_fd) return false;
    while (!Link(parent_fd.get(), base, dirfd, e.name, rel)) {
      if (errno == ENOENT) return false;
      if (errno != EEXIST) Fail(rel, "cannot create hardlink", errno);
      Replace(dirfd, e.name, rel);
    }
    Count(0);
    return true;
  }

  // linkat; a file whose immutable or append-only flag forbids new names (set when its
  // first name was restored) loses that flag for the moment. Sets errno when it fails.
  bool Link(int from_dir, const std::string& from, int dirfd, const std::string& name, const std::string& rel) {
    if (::linkat(from_dir, from.c_str(), dirfd, name.c_str(), 0) == 0) return true;
    if (errno != EPERM) return false;
    struct stat st {};
    if (::fstatat(from_dir, from.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
      errno = EPERM;
      return false;
    }
    UniqueFd target(::openat(from_dir, from.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    int attr = 0;
    if (!target || ::ioctl(target.get(), FS_IOC_GETFLAGS, &attr) != 0 || (attr & kNoLinkFlags) == 0) {
      errno = EPERM;
      return false;
    }
    int cleared = attr & ~static_cast<int>(kNoLinkFlags);
    if (::ioctl(target.get(), FS_IOC_SETFLAGS, &cleared) != 0) {
      errno = EPERM;
      return false;
    }
    const bool linked = ::linkat(from_dir, from.c_str(), dirfd, name.c_str(), 0) == 0;
    const int err = errno;
    if (::ioctl(target.get(), FS_IOC_SETFLAGS, &attr) != 0) {
      Notice(rel + ": cannot set the chattr flags of its file again: " + std::strerror(errno));
    }
    errno = err;
    return linked;
  }

  void WriteFile(int dirfd, const pxar::Entry& e, const std::string& rel) {
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd;
    while (!(fd = UniqueFd(::openat(dirfd, e.name.c_str(), flags, 0600)))) {
      if (errno != EEXIST) Fail(rel, "cannot create file", errno);
      Replace(dirfd, e.name, rel);
    }
    buffer_.resize(kCopyBuffer);
    for (uint64_t offset = 0; offset < e.file_size;) {
      size_t n = accessor_.ReadFile(e, offset, buffer_);
      if (n == 0) throw Error(ErrorKind::kCorrupt, accessor_.description() + ": file contents end early");
      ByteView data(buffer_.data(), n);
      if (!IsAllZero(data)) {
        for (size_t done = 0; done < n;) {
          ssize_t w = ::pwrite(fd.get(), data.data() + done, n - done, static_cast<off_t>(offset + done));
          if (w < 0) {
            if (errno == EINTR) continue;
            Fail(rel, "cannot write", errno);
          }
          done += static_cast<size_t>(w);
        }
      }
      offset += n;
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(e.file_size)) != 0) Fail(rel, "cannot set the size", errno);
    ApplyMetadata(fd.get(), -1, "", rel, e);
    Count(e.file_size);
  }

  void SetXattr(int fd, const std::string& path, const std::string& key, const std::string& value) {
    int r = fd >= 0 ? ::fsetxattr(fd, key.c_str(), value.data(), value.size(), 0)
                    : ::lsetxattr(path.c_str(), key.c_str(), value.data(), value.size(), 0);
    if (r != 0) throw SystemError("cannot set " + key, errno);
  }

  void Notice(const std::string& message) {
    ++stats_.unsupported;
    if (callbacks_.notice) callbacks_.notice(message);
  }

  // The quota project id of directory or file `fd`, when the archive has one.
  void ApplyProjectId(int fd, const std::string& rel, const pxar::Metadata& m) {
    if (!m.quota_projid) return;
    const std::string what = rel + ": cannot set quota project id " + std::to_string(*m.quota_projid) + ": ";
    if (*m.quota_projid > UINT32_MAX) return Notice(what + "out of range");
    struct fsxattr fsx {};
    if (::ioctl(fd, FS_IOC_FSGETXATTR, &fsx) != 0) return Notice(what + std::strerror(errno));
    if (fsx.fsx_projid == *m.quota_projid) return;
    fsx.fsx_projid = static_cast<uint32_t>(*m.quota_projid);
    if (::ioctl(fd, FS_IOC_FSSETXATTR, &fsx) != 0) Notice(what + std::strerror(errno));
  }

  // The stored chattr flags (pxar's `flags`) of directory or file `fd`; flags pxar cannot
  // store are kept.
  void ApplyChattr(int fd, const std::string& rel, uint64_t flags) {
    const int wanted = static_cast<int>(pxar::ChattrFromFlags(flags));
    if (wanted == 0) return;  // nothing stored (a new file has none of them but inherited ones)
    const int mask = static_cast<int>(pxar::StoredChattrMask());
    int current = 0;
    if (::ioctl(fd, FS_IOC_GETFLAGS, &current) == 0) {
      int attr = (current & ~mask) | wanted;
      if (attr == current || ::ioctl(fd, FS_IOC_SETFLAGS, &attr) == 0) return;
    }
    const int err = errno;
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%x", static_cast<unsigned>(wanted));
    Notice(rel + ": cannot set chattr flags " + hex + ": " + std::strerror(err));
  }

  // Owner, xattrs, ACLs, mode, mtime, and for directories and files the quota project id and
  // chattr flags: through `fd` when >= 0, else `name` in `dirfd`. `rel` names it in messages.
  void ApplyMetadata(int fd, int dirfd, const std::string& name, const std::string& rel, const pxar::Entry& e) {
    const pxar::Metadata& m = e.meta;
    const bool link = e.kind == pxar::EntryKind::kSymlink;
    const std::string path = fd >= 0 ? std::string() : "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
    if (options_.owner) {
      int r = fd >= 0 ? ::fchown(fd, m.stat.uid, m.stat.gid)
                      : ::fchownat(dirfd, name.c_str(), m.stat.uid, m.stat.gid, AT_SYMLINK_NOFOLLOW);
      if (r != 0) throw SystemError("cannot set the owner", errno);
    }
    if (!link) {
      if (options_.xattrs) {
        for (const pxar::Xattr& x : m.xattrs) SetXattr(fd, path, x.name, x.value);
        if (m.fcaps) SetXattr(fd, path, "security.capability", *m.fcaps);
      }
      if (options_.acls) {
        if (auto v = pxar::AccessAclXattr(m.acl, m.stat.mode)) SetXattr(fd, path, pxar::kAclAccessXattr, *v);
        if (e.kind == pxar::EntryKind::kDirectory) {
          if (auto v = pxar::DefaultAclXattr(m.acl)) SetXattr(fd, path, pxar::kAclDefaultXattr, *v);
        }
      }
      const mode_t mode = static_cast<mode_t>(m.stat.mode & 07777);
      int r = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(dirfd, name.c_str(), mode, 0);
      if (r != 0) throw SystemError("cannot set the mode", errno);
    }
    struct timespec times[2] = {{m.stat.mtime_secs, static_cast<long>(m.stat.mtime_nanos)},
                                {m.stat.mtime_secs, static_cast<long>(m.stat.mtime_nanos)}};
    int r = fd >= 0 ? ::futimens(fd, times) : ::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    if (r != 0) throw SystemError("cannot set the mtime", errno);
    if (fd >= 0) {
      ApplyProjectId(fd, rel, m);
      ApplyChattr(fd, rel, m.stat.flags);
    }
  }

  const pxar::Accessor& accessor_;
  const std::string start_path_;  // archive path of the restored subtree, no slashes around
  const RestoreOptions& options_;
  const RestoreCallbacks& callbacks_;
  ExcludeList includes_, excludes_;
  int root_fd_ = -1;  // the target directory
  Bytes buffer_;
  RestoreStats stats_;
};

}  // namespace

RestoreStats Restore(const pxar::Accessor& accessor, const std::string& start_path, const std::filesystem::path& target,
                     const RestoreOptions& options, const RestoreCallbacks& callbacks) {
  std::string path;
  for (std::string_view c : Components(start_path)) {
    if (!c.empty()) path = Join(path, std::string(c));
  }
  std::optional<pxar::Entry> start = accessor.LookupPath(path);
  if (!start) throw Error(ErrorKind::kNotFound, accessor.description() + ": no entry '" + path + "' in the archive");
  return Extractor(accessor, path, options, callbacks).Run(*start, target);
}

}  // namespace cairn
