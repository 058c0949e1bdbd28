#include "core/store/datastore.h"

#include <algorithm>

#include "core/store/group_directory.h"
#include "core/util/error.h"
#include "core/util/file.h"
#include "core/util/log.h"
#include "core/util/time.h"

namespace cairn {
namespace {

std::optional<std::string> ReadSmallText(const std::filesystem::path& path) {
  try {
    Bytes data = ReadWholeFile(path, 1 << 20);
    return std::string(AsChars(data));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
}

}  // namespace

Datastore::Datastore(std::filesystem::path root, std::string pbs_name, const DatastoreOptions& options)
    : root_(std::move(root)),
      pbs_name_(std::move(pbs_name)),
      chunk_store_(std::make_shared<LocalChunkStore>(root_)),
      locker_(pbs_name_, root_, options.pbs_run_dir) {}

Datastore Datastore::Open(std::string_view spec, const DatastoreOptions& options) {
  std::vector<DatastoreConfigEntry> config = LoadDatastoreConfig(options.datastore_cfg);
  const DatastoreConfigEntry* entry = nullptr;
  std::filesystem::path root;
  std::error_code ec;
  if (spec.find('/') == std::string_view::npos && !std::filesystem::is_directory(std::string(spec), ec)) {
    for (const auto& e : config) {
      if (e.name == spec) entry = &e;
    }
    if (entry == nullptr) {
      throw Error(ErrorKind::kNotFound, "'" + std::string(spec) + "' is neither a directory nor a datastore named in " +
                                            options.datastore_cfg.string());
    }
    root = entry->path;
  } else {
    root = std::filesystem::absolute(std::string(spec));
  }
  root = std::filesystem::weakly_canonical(root, ec);
  if (entry == nullptr) {
    for (const auto& e : config) {
      std::error_code e_ec;
      if (std::filesystem::weakly_canonical(e.path, e_ec) == root) entry = &e;
    }
  }
  if (entry != nullptr) {
    if (entry->maintenance_mode == "offline" || entry->maintenance_mode == "unmount" || entry->maintenance_mode == "delete") {
      throw Error(ErrorKind::kUnsupported, "datastore '" + entry->name + "' is in maintenance mode '" +
                                               entry->maintenance_mode + "': PBS forbids reading it now");
    }
    if (entry->backend_type == "s3") {
      Log(LogLevel::kWarning, "datastore '" + entry->name +
                                  "' is backed by S3: chunks that are only in the bucket will read as missing");
    }
  }
  if (!std::filesystem::is_directory(root / ".chunks", ec)) {
    if (!std::filesystem::exists(root, ec)) throw Error(ErrorKind::kNotFound, "datastore " + root.string() + " does not exist");
    throw Error(ErrorKind::kNotFound, root.string() + " is not a PBS datastore (it has no .chunks directory)");
  }
  return Datastore(root, entry ? entry->name : std::string(), options);
}

bool Datastore::NamespaceExists(const BackupNamespace& ns) const {
  std::error_code ec;
  return std::filesystem::is_directory(root_ / ns.RelativePath(), ec);
}

std::vector<BackupNamespace> Datastore::ListNamespaces(const BackupNamespace& parent) const {
  std::vector<BackupNamespace> out;
  if (parent.components.size() >= kMaxNamespaceDepth) return out;
  for (std::string& name : ListSubdirectories(root_ / parent.RelativePath() / "ns")) {
    if (IsSafeName(name)) out.push_back(parent.Child(std::move(name)));
  }
  return out;
}

std::vector<BackupGroup> Datastore::ListGroups(const BackupNamespace& ns) const {
  std::vector<BackupGroup> out;
  for (BackupType type : {BackupType::kCt, BackupType::kHost, BackupType::kVm}) {
    for (std::string& id : ListSubdirectories(root_ / ns.RelativePath() / std::string(BackupTypeName(type)))) {
      if (IsSafeName(id)) out.push_back(BackupGroup{ns, type, std::move(id)});
    }
  }
  std::sort(out.begin(), out.end(), GroupLess);
  return out;
}

std::vector<Snapshot> Datastore::ListSnapshots(const BackupGroup& group) const {
  return GroupDirectory(*this, group).ListSnapshots();
}

std::optional<std::string> Datastore::GroupOwner(const BackupGroup& group) const {
  return GroupDirectory(*this, group).Owner();
}

std::optional<std::string> Datastore::GroupNotes(const BackupGroup& group) const {
  return ReadSmallText(PathOf(group) / "notes");
}

bool Datastore::IsProtected(const Snapshot& snapshot) const {
  return GroupDirectory(*this, snapshot.group).IsProtected(snapshot);
}

Snapshot Datastore::ResolveSnapshot(const DatastorePath& path) const {
  if (!path.type || !path.id || !path.time) {
    throw Error(ErrorKind::kInvalidInput, "a snapshot path needs TYPE/ID/TIME (or TYPE/ID/latest)");
  }
  BackupGroup group{path.ns, *path.type, *path.id};
  std::vector<Snapshot> snapshots = ListSnapshots(group);
  if (*path.time == "latest") {
    if (snapshots.empty()) throw Error(ErrorKind::kNotFound, "backup group " + group.DisplayPath() + " has no finished snapshot");
    return snapshots.back();
  }
  Snapshot wanted{group, *ParseBackupTime(*path.time)};
  if (std::find(snapshots.begin(), snapshots.end(), wanted) == snapshots.end()) {
    throw Error(ErrorKind::kNotFound, "snapshot " + wanted.DisplayPath() + " does not exist in " + root_.string() +
                                          " (or is unfinished)");
  }
  return wanted;
}

}  // namespace cairn
