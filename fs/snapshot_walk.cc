#include "fs/snapshot_walk.h"

#include <algorithm>

namespace cairn::fs {

SnapshotWalk::SnapshotWalk(const Datastore& datastore, BackupNamespace ns, std::optional<BackupGroup> group)
    : datastore_(datastore), ns_(std::move(ns)), group_(std::move(group)) {
  Seek(std::nullopt);
}

SnapshotWalk::Frame SnapshotWalk::MakeFrame(const BackupNamespace& ns) const {
  Frame frame;
  if (group_) {
    frame.groups = {*group_};
  } else {
    frame.groups = datastore_.ListGroups(ns);
    frame.children = datastore_.ListNamespaces(ns);
  }
  return frame;
}

void SnapshotWalk::EnterGroup(const BackupGroup& group) {
  group_dir_ = std::make_shared<const GroupDirectory>(datastore_, group);
  snapshots_ = group_dir_->ListSnapshotDirectories();
  next_snapshot_ = 0;
  owner_ = group_dir_->Owner();
}

void SnapshotWalk::Seek(const std::optional<Snapshot>& after) {
  stack_.clear();
  snapshots_.clear();
  next_snapshot_ = 0;
  stack_.push_back(MakeFrame(group_ ? group_->ns : ns_));
  if (!after) return;
  const std::vector<std::string>& target = after->group.ns.components;
  size_t depth = group_ ? group_->ns.components.size() : ns_.components.size();
  BackupNamespace current = group_ ? group_->ns : ns_;
  while (true) {
    Frame& frame = stack_.back();
    if (depth == target.size()) {
      // The snapshot is in this namespace: continue in its group, after its time.
      auto it = std::lower_bound(frame.groups.begin(), frame.groups.end(), after->group, GroupLess);
      frame.next_group = static_cast<size_t>(it - frame.groups.begin());
      if (it != frame.groups.end() && *it == after->group) {
        ++frame.next_group;
        EnterGroup(after->group);
        auto later = std::upper_bound(snapshots_.begin(), snapshots_.end(), after->time,
                                      [](int64_t time, const Snapshot& s) { return time < s.time; });
        next_snapshot_ = static_cast<size_t>(later - snapshots_.begin());
      }
      return;
    }
    // The snapshot is below a child namespace: this namespace's groups come before it.
    frame.next_group = frame.groups.size();
    BackupNamespace child = current.Child(target[depth]);
    auto it = std::lower_bound(frame.children.begin(), frame.children.end(), child);
    frame.next_child = static_cast<size_t>(it - frame.children.begin());
    if (it == frame.children.end() || *it != child) return;
    ++frame.next_child;
    stack_.push_back(MakeFrame(child));
    current = std::move(child);
    ++depth;
  }
}

std::optional<Snapshot> SnapshotWalk::Next() {
  while (true) {
    if (next_snapshot_ < snapshots_.size()) return snapshots_[next_snapshot_++];
    if (stack_.empty()) return std::nullopt;
    Frame& frame = stack_.back();
    if (frame.next_group < frame.groups.size()) {
      EnterGroup(frame.groups[frame.next_group++]);
    } else if (frame.next_child < frame.children.size()) {
      BackupNamespace child = frame.children[frame.next_child++];
      stack_.push_back(MakeFrame(child));
    } else {
      stack_.pop_back();
    }
  }
}

}  // namespace cairn::fs
