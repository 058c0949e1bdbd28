#include "fs/group_dir.h"

#include "core/store/snapshot_reader.h"
#include "core/util/time.h"
#include "fs/latest_link.h"
#include "fs/listing_json_file.h"
#include "fs/snapshot_dir.h"

namespace cairn::fs {

GroupDir::GroupDir(const FsContext& context, std::string path, BackupGroup group)
    : Node(context, std::move(path)), group_(std::move(group)) {}

NodeAttr GroupDir::Attr() {
  int64_t mtime = DirectoryMtime(datastore().PathOf(group_));
  std::vector<Snapshot> snapshots = datastore().ListSnapshots(group_);
  return NodeAttr{NodeType::kDirectory, 0, snapshots.empty() ? mtime : snapshots.back().time, 0};
}

std::shared_ptr<Node> GroupDir::Lookup(std::string_view name) {
  if (name == kIndexJson) {
    return ListingJsonFile::Current(context_, ChildPath(name), ListingScope{group_.ns, group_}, listing_);
  }
  if (name == kLatestLinkName) return std::make_shared<LatestLink>(context_, ChildPath(name), group_);
  std::optional<int64_t> time = ParseBackupTime(name);
  if (!time) return nullptr;
  Snapshot snapshot{group_, *time};
  std::error_code ec;
  // Only finished snapshots: index.json.blob is written last (spec §1.6).
  if (!std::filesystem::is_regular_file(datastore().PathOf(snapshot) / kManifestBlobName, ec)) return nullptr;
  return std::make_shared<SnapshotDir>(context_, ChildPath(name), std::move(snapshot));
}

std::vector<DirEntry> GroupDir::List() {
  std::vector<Snapshot> snapshots = datastore().ListSnapshots(group_);
  std::vector<DirEntry> entries = {ChildEntry(kIndexJson, NodeType::kFile)};
  if (!snapshots.empty()) entries.push_back(ChildEntry(kLatestLinkName, NodeType::kSymlink));
  for (const Snapshot& snapshot : snapshots) entries.push_back(ChildEntry(snapshot.TimeString(), NodeType::kDirectory));
  return entries;
}

}  // namespace cairn::fs
