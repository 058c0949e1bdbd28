#include "core/write/file_metadata.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>

#include <cerrno>
#include <optional>
#include <string_view>

#include "core/pxar/acl_xattr.h"
#include "core/pxar/file_flags.h"
#include "core/util/error.h"

namespace cairn {
namespace {

// The path through which the l*xattr calls reach `name` in `dirfd` without following it.
std::string ProcPath(int dirfd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
}

bool Unsupported(int err) { return err == ENOTSUP || err == ENODATA || err == EPERM || err == EACCES; }

std::optional<std::string> GetXattr(int fd, const std::string& path, const std::string& key,
                                    const std::string& display_path) {
  for (;;) {
    ssize_t n = fd >= 0 ? ::fgetxattr(fd, key.c_str(), nullptr, 0) : ::lgetxattr(path.c_str(), key.c_str(), nullptr, 0);
    if (n < 0) {
      if (Unsupported(errno)) return std::nullopt;
      throw SystemError("cannot read xattr " + key + " of " + display_path, errno);
    }
    std::string value(static_cast<size_t>(n), '\0');
    n = fd >= 0 ? ::fgetxattr(fd, key.c_str(), value.data(), value.size())
                : ::lgetxattr(path.c_str(), key.c_str(), value.data(), value.size());
    if (n < 0 && errno == ERANGE) continue;  // grew meanwhile
    if (n < 0) {
      if (Unsupported(errno)) return std::nullopt;
      throw SystemError("cannot read xattr " + key + " of " + display_path, errno);
    }
    value.resize(static_cast<size_t>(n));
    return value;
  }
}

std::string ListXattrs(int fd, const std::string& path, const std::string& display_path) {
  for (;;) {
    ssize_t n = fd >= 0 ? ::flistxattr(fd, nullptr, 0) : ::llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) {
      if (Unsupported(errno)) return {};
      throw SystemError("cannot list xattrs of " + display_path, errno);
    }
    std::string names(static_cast<size_t>(n), '\0');
    n = fd >= 0 ? ::flistxattr(fd, names.data(), names.size()) : ::llistxattr(path.c_str(), names.data(), names.size());
    if (n < 0 && errno == ERANGE) continue;
    if (n < 0) throw SystemError("cannot list xattrs of " + display_path, errno);
    names.resize(static_cast<size_t>(n));
    return names;
  }
}

bool IsStoredXattr(std::string_view name) {
  return name.size() <= 255 &&
         (name.starts_with("user.") || name.starts_with("trusted.") || name == "security.NTACL");
}

}  // namespace

pxar::Metadata ReadFileMetadata(int dirfd, const std::string& name, int fd, const struct stat& st,
                                const std::string& display_path) {
  pxar::Metadata meta;
  meta.stat.mode = st.st_mode;
  meta.stat.uid = st.st_uid;
  meta.stat.gid = st.st_gid;
  meta.stat.mtime_secs = st.st_mtim.tv_sec;
  meta.stat.mtime_nanos = static_cast<uint32_t>(st.st_mtim.tv_nsec);
  if (S_ISLNK(st.st_mode)) return meta;  // PBS stores neither xattrs nor ACLs for symlinks

  const std::string path = fd >= 0 ? std::string() : ProcPath(dirfd, name);
  std::string names = ListXattrs(fd, path, display_path);
  for (size_t at = 0; at < names.size();) {
    size_t end = names.find('\0', at);
    if (end == std::string::npos) end = names.size();
    std::string key = names.substr(at, end - at);
    at = end + 1;
    if (key == "security.capability") {
      meta.fcaps = GetXattr(fd, path, key, display_path);
    } else if (key == pxar::kAclAccessXattr) {
      if (auto v = GetXattr(fd, path, key, display_path)) pxar::ParseAccessAcl(*v, meta.acl);
    } else if (key == pxar::kAclDefaultXattr) {
      if (auto v = GetXattr(fd, path, key, display_path)) pxar::ParseDefaultAcl(*v, meta.acl);
    } else if (IsStoredXattr(key)) {
      if (auto v = GetXattr(fd, path, key, display_path)) meta.xattrs.push_back(pxar::Xattr{key, std::move(*v)});
    }
  }
  if (fd >= 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
    unsigned long attr = 0;
    if (::ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0) meta.stat.flags = pxar::FlagsFromChattr(attr);
    struct fsxattr fsx {};
    if (::ioctl(fd, FS_IOC_FSGETXATTR, &fsx) == 0 && fsx.fsx_projid != 0) meta.quota_projid = fsx.fsx_projid;
  }
  return meta;
}

}  // namespace cairn
