// Every snapshot directory below a namespace (or of one group), one at a time, in a fixed
// order: in each namespace its groups in PBS's order (each group's snapshots oldest first),
// then its child namespaces by name, depth first. The walk can be positioned just after any
// snapshot, which is what lets a streamed index.json resume from a checkpoint.
//
// Memory is bounded by the largest single directory listing (one namespace's groups or
// children, one group's snapshots) times the depth, never by the total number of snapshots.
// The walk reads the datastore as it goes: snapshots added or removed behind its position
// are not seen, ones ahead of it are. Unfinished snapshots are walked too (telling them
// apart would cost a stat each): reading their manifest through group_directory() fails
// with kNotFound, as it does for one pruned since the walk passed its group's listing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/store/datastore.h"
#include "core/store/group_directory.h"

namespace cairn::fs {

class SnapshotWalk {
 public:
  // All snapshots in `ns` and below it, or only those of `group` when given.
  // `datastore` must outlive the walk.
  SnapshotWalk(const Datastore& datastore, BackupNamespace ns, std::optional<BackupGroup> group);

  // Positions the walk just after `snapshot` in walk order (which need not exist any more),
  // or at the beginning for nullopt.
  void Seek(const std::optional<Snapshot>& after);

  // The next snapshot, or nullopt at the end.
  std::optional<Snapshot> Next();

  // The group of the snapshot Next() returned last, opened, and its owner. Valid after
  // Next() has returned a snapshot.
  const std::shared_ptr<const GroupDirectory>& group_directory() const { return group_dir_; }
  const std::optional<std::string>& owner() const { return owner_; }

 private:
  struct Frame {
    std::vector<BackupGroup> groups;       // of this namespace, in GroupLess order
    size_t next_group = 0;
    std::vector<BackupNamespace> children;  // child namespaces, sorted
    size_t next_child = 0;
  };

  Frame MakeFrame(const BackupNamespace& ns) const;
  void EnterGroup(const BackupGroup& group);

  const Datastore& datastore_;
  const BackupNamespace ns_;
  const std::optional<BackupGroup> group_;
  std::vector<Frame> stack_;          // namespaces being walked, outermost first
  std::shared_ptr<const GroupDirectory> group_dir_;  // the current group
  std::vector<Snapshot> snapshots_;   // of the current group
  size_t next_snapshot_ = 0;
  std::optional<std::string> owner_;  // of the current group
};

}  // namespace cairn::fs
