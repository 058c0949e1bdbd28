#include "fs/latest_link.h"

namespace cairn::fs {

LatestLink::LatestLink(const FsContext& context, std::string path, BackupGroup group)
    : Node(context, std::move(path)), group_(std::move(group)) {}

Snapshot LatestLink::Newest() const {
  std::vector<Snapshot> snapshots = datastore().ListSnapshots(group_);
  if (snapshots.empty()) throw Error(ErrorKind::kNotFound, "backup group " + group_.DisplayPath() + " has no snapshot");
  return snapshots.back();
}

NodeAttr LatestLink::Attr() {
  Snapshot newest = Newest();
  return NodeAttr{NodeType::kSymlink, newest.TimeString().size(), newest.time, 0};
}

std::string LatestLink::ReadLink() { return Newest().TimeString(); }

}  // namespace cairn::fs
