// One backup group's directory, opened once: lists the group's snapshots and reads their
// manifests and markers relative to that open directory. A streamed listing reads 10^5 or
// more manifests; resolving each from the datastore root would cost it a path walk per
// file (spec §1.5 for the layout). Read-only, like Datastore.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/format/manifest.h"
#include "core/store/datastore.h"
#include "core/util/file.h"

namespace cairn {

class GroupDirectory {
 public:
  // A group that does not exist (any more) opens as an empty directory. Throws Error for
  // other failures to open it.
  GroupDirectory(const Datastore& datastore, BackupGroup group);

  // Snapshot directories (named by backup time), oldest first, whether finished or not:
  // the manifest is what makes a snapshot finished, and ReadManifest finds out.
  std::vector<Snapshot> ListSnapshotDirectories() const;
  // Finished snapshots (index.json.blob present), oldest first.
  std::vector<Snapshot> ListSnapshots() const;

  // The manifest of a snapshot of this group, decoded and parsed, without taking the
  // snapshot's lock (see ReadManifestUnlocked). Throws Error naming the file (kNotFound
  // when the snapshot is unfinished or gone).
  Manifest ReadManifest(const Snapshot& snapshot) const;
  bool IsProtected(const Snapshot& snapshot) const;
  // The first line of `owner`, trimmed; nullopt when absent.
  std::optional<std::string> Owner() const;

 private:
  BackupGroup group_;
  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace cairn
