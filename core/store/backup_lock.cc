#include "core/store/backup_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "core/crypto/sha256.h"
#include "core/util/error.h"
#include "core/util/hex.h"
#include "core/util/log.h"

namespace cairn {
namespace {

bool IsPermissionError(int err) { return err == EACCES || err == EPERM || err == EROFS; }

void CreateDirectories(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0755) == 0) ChownToBackupUser(partial);
    else if (errno != EEXIST) throw SystemError("cannot create lock directory " + partial.string(), errno);
  }
}

// Lock object names are paths relative to the namespace: "vm/100", "vm/100/<time>".
std::string GroupRpath(const BackupGroup& group) { return std::string(BackupTypeName(group.type)) + "/" + group.id; }
std::string SnapshotRpath(const Snapshot& s) { return GroupRpath(s.group) + "/" + s.TimeString(); }

}  // namespace

std::string SystemdEscapePath(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                 (c == '.' && i > 0);
    if (c == '/') {
      out += '-';
    } else if (plain) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

DatastoreLocker::DatastoreLocker(std::string pbs_name, std::filesystem::path root, std::filesystem::path run_dir)
    : pbs_name_(std::move(pbs_name)), root_(std::move(root)), run_dir_(std::move(run_dir)) {}

bool DatastoreLocker::OldLocking() const { return std::filesystem::exists(run_dir_ / "old-locking"); }

std::filesystem::path DatastoreLocker::LockFilePath(const BackupNamespace& ns, const std::string& rpath) const {
  std::filesystem::path base = run_dir_ / "locks" / pbs_name_;
  std::string ns_part;
  for (const std::string& c : ns.components) ns_part += (ns_part.empty() ? "" : ":") + c;
  if (!ns_part.empty()) base /= ns_part;
  std::string escaped = SystemdEscapePath(rpath);
  if (escaped.size() >= 255) {
    return base / "hashed" /
           (escaped.substr(0, 80) + "..." + escaped.substr(escaped.size() - 80) + "-" + ToHex(Sha256(AsBytes(rpath))));
  }
  return base / escaped;
}

BackupLock DatastoreLocker::FlockPath(const std::filesystem::path& path, bool directory, bool exclusive,
                                      const std::string& what) const {
  int flags = directory ? (O_RDONLY | O_DIRECTORY | O_CLOEXEC) : (O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC);
  for (int attempt = 0; attempt < 3; ++attempt) {
    UniqueFd fd(::open(path.c_str(), flags, 0660));
    if (!fd) throw SystemError("cannot open lock " + path.string(), errno);
    if (!directory) ChownToBackupUser(path);
    if (::flock(fd.get(), (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        throw Error(ErrorKind::kBusy, what + " is locked by another process (a backup, prune or verify is running)");
      }
      throw SystemError("cannot lock " + path.string(), errno);
    }
    if (directory) return BackupLock(std::move(fd));
    // PBS deletes lock files when it removes snapshots; a lock on a deleted file is no lock.
    struct stat by_fd, by_path;
    if (::fstat(fd.get(), &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 && by_fd.st_ino == by_path.st_ino) {
      return BackupLock(std::move(fd));
    }
  }
  throw Error(ErrorKind::kBusy, what + ": lock file " + path.string() + " keeps being replaced");
}

BackupLock DatastoreLocker::LockObject(const BackupNamespace& ns, const std::string& rpath,
                                       const std::filesystem::path& dir, bool exclusive, bool reader,
                                       const std::string& what) const {
  if (pbs_name_.empty() || OldLocking()) return FlockPath(dir, true, exclusive, what);
  std::filesystem::path path = LockFilePath(ns, rpath);
  try {
    CreateDirectories(path.parent_path());
    return FlockPath(path, false, exclusive, what);
  } catch (const Error& e) {
    if (!reader || !IsPermissionError(e.system_errno())) throw;
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      Log(LogLevel::kWarning, "reading without snapshot locks (" + std::string(e.what()) +
                                  "): a snapshot pruned by PBS while it is read will fail with missing chunks");
    }
    return BackupLock();
  }
}

BackupLock DatastoreLocker::LockSnapshotShared(const Snapshot& snapshot) const {
  return LockObject(snapshot.group.ns, SnapshotRpath(snapshot), root_ / snapshot.RelativePath(), false, true,
                    "snapshot " + snapshot.DisplayPath());
}

BackupLock DatastoreLocker::LockSnapshotExclusive(const Snapshot& snapshot) const {
  return LockObject(snapshot.group.ns, SnapshotRpath(snapshot), root_ / snapshot.RelativePath(), true, false,
                    "snapshot " + snapshot.DisplayPath());
}

BackupLock DatastoreLocker::LockGroupExclusive(const BackupGroup& group) const {
  return LockObject(group.ns, GroupRpath(group), root_ / group.RelativePath(), true, false, "backup group " + group.DisplayPath());
}

BackupLock DatastoreLocker::LockChunkStoreShared() const {
  std::filesystem::path path = root_ / ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) throw SystemError("cannot open the chunk store lock " + path.string(), errno);
  struct flock lock {};
  lock.l_type = F_RDLCK;
  lock.l_whence = SEEK_SET;
  if (::fcntl(fd.get(), F_OFD_SETLK, &lock) != 0) {
    if (errno == EAGAIN || errno == EACCES) {
      throw Error(ErrorKind::kBusy, "datastore " + root_.string() + " is locked: garbage collection is running");
    }
    throw SystemError("cannot lock " + path.string(), errno);
  }
  return BackupLock(std::move(fd));
}

}  // namespace cairn
