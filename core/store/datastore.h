// A PBS datastore opened read-only (spec §1, §9.4): lists namespaces, groups and finished
// snapshots and resolves user paths. Nothing here creates, modifies or deletes anything in
// the datastore; listing reads directories only.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/backup_lock.h"
#include "core/store/backup_path.h"
#include "core/store/chunk_store.h"
#include "core/store/datastore_config.h"

namespace cairn {

// Where PBS's configuration and runtime state live; tests point these elsewhere.
struct DatastoreOptions {
  std::filesystem::path datastore_cfg = kDefaultDatastoreCfg;
  std::filesystem::path pbs_run_dir = kDefaultPbsRunDir;
};

class Datastore {
 public:
  // `spec` is a directory or the name of a datastore in datastore.cfg. Throws kNotFound when
  // neither exists or the directory has no `.chunks`, kUnsupported when PBS has put the
  // datastore into maintenance mode 'offline'. Warns for S3-backed datastores, whose chunk
  // files here are only a cache.
  static Datastore Open(std::string_view spec, const DatastoreOptions& options = {});

  const std::filesystem::path& root() const { return root_; }
  // The datastore's name in PBS's configuration, or empty.
  const std::string& pbs_name() const { return pbs_name_; }
  const std::shared_ptr<const ChunkStore>& chunk_store() const { return chunk_store_; }
  const DatastoreLocker& locker() const { return locker_; }

  bool NamespaceExists(const BackupNamespace& ns) const;
  // Direct child namespaces of `parent`, sorted by name.
  std::vector<BackupNamespace> ListNamespaces(const BackupNamespace& parent) const;
  // Backup groups directly in `ns`, in PBS's order (GroupLess).
  std::vector<BackupGroup> ListGroups(const BackupNamespace& ns) const;
  // Finished snapshots (index.json.blob present) of `group`, oldest first.
  std::vector<Snapshot> ListSnapshots(const BackupGroup& group) const;

  std::filesystem::path PathOf(const BackupGroup& group) const { return root_ / group.RelativePath(); }
  std::filesystem::path PathOf(const Snapshot& snapshot) const { return root_ / snapshot.RelativePath(); }

  // The group's owner (first line of `owner`, trimmed) and notes; nullopt when absent.
  std::optional<std::string> GroupOwner(const BackupGroup& group) const;
  std::optional<std::string> GroupNotes(const BackupGroup& group) const;
  bool IsProtected(const Snapshot& snapshot) const;

  // Resolves a path with type, id and time (or "latest") to a finished snapshot. Throws
  // kInvalidInput when the path is not a snapshot path, kNotFound when it does not exist.
  Snapshot ResolveSnapshot(const DatastorePath& path) const;

 private:
  Datastore(std::filesystem::path root, std::string pbs_name, const DatastoreOptions& options);

  std::filesystem::path root_;
  std::string pbs_name_;
  std::shared_ptr<const ChunkStore> chunk_store_;
  DatastoreLocker locker_;
};

}  // namespace cairn
