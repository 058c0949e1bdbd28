// PBS-compatible group, snapshot and chunk-store locks (spec §9.1, §9.2), so that cairn never
// reads a snapshot that PBS is pruning and never writes while PBS collects garbage.
//
// A datastore that PBS knows by name uses PBS's lock files under <run_dir>/locks/<name>/
// (or, while <run_dir>/old-locking exists, flocks on the directories). A datastore PBS does
// not know (no entry in datastore.cfg) has no PBS process to coordinate with; locks are then
// flocks on the group and snapshot directories, which coordinate cairn processes without
// creating anything.
#pragma once

#include <filesystem>
#include <string>

#include "core/store/backup_path.h"
#include "core/util/file.h"

namespace cairn {

inline constexpr char kDefaultPbsRunDir[] = "/run/proxmox-backup";

// A held lock; released on destruction. May be empty (reading unlocked, see below).
class BackupLock {
 public:
  BackupLock() = default;
  explicit BackupLock(UniqueFd fd) : fd_(std::move(fd)) {}
  bool held() const { return static_cast<bool>(fd_); }

 private:
  UniqueFd fd_;
};

class DatastoreLocker {
 public:
  // `pbs_name` is the datastore's name in datastore.cfg, or empty.
  DatastoreLocker(std::string pbs_name, std::filesystem::path root, std::filesystem::path run_dir);

  // Shared, non-blocking snapshot lock for readers. Throws kBusy when a backup, prune or
  // protection change holds it. When the lock file cannot be created (no permission on the
  // lock directory) returns an empty lock and logs a warning once: reading unlocked is
  // allowed by PBS's rules, chunks may then vanish if the snapshot is pruned.
  BackupLock LockSnapshotShared(const Snapshot& snapshot) const;
  // Exclusive, non-blocking locks for writers. Throw kBusy when held, kIo when impossible.
  BackupLock LockSnapshotExclusive(const Snapshot& snapshot) const;
  BackupLock LockGroupExclusive(const BackupGroup& group) const;
  // Shared fcntl (OFD) lock on <root>/.lock for the whole of a backup: PBS's garbage
  // collection cannot start while it is held. Throws kBusy while GC runs.
  BackupLock LockChunkStoreShared() const;

  // The lock file PBS (new scheme) uses for `rpath` ("vm/100" or "vm/100/<time>") in `ns`.
  std::filesystem::path LockFilePath(const BackupNamespace& ns, const std::string& rpath) const;

 private:
  BackupLock FlockPath(const std::filesystem::path& path, bool directory, bool exclusive,
                       const std::string& what) const;
  BackupLock LockObject(const BackupNamespace& ns, const std::string& rpath,
                        const std::filesystem::path& dir, bool exclusive, bool reader,
                        const std::string& what) const;
  bool OldLocking() const;

  std::string pbs_name_;
  std::filesystem::path root_;
  std::filesystem::path run_dir_;
};

// systemd path escaping as PBS applies it to lock file names (spec §9.2).
std::string SystemdEscapePath(std::string_view path);

}  // namespace cairn
