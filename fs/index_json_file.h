// `index.json` in a snapshot: the manifest as PBS writes it plus what is derived from the
// datastore: per file "encrypted" and, for chunked archives, "chunk-count"; for the snapshot
// "protected", "owner", "notes" and "verify-state"; for images (`.img.fidx`) the partition
// table and the filesystems found, with mount hints (AddVolumesJson in image_volumes.h).
// Readable without a key (the manifest is never encrypted); the volumes of an encrypted
// image need the mount's key and are replaced by "volumes-error" without it. Built whole,
// it is a few KiB. A node is one version of the file, rendered at most every kFreshness
// when it is looked up, with an inode number of its own (VersionedInodeOf), so notes or
// protection changed by PBS show up at the next lookup as another file.
#pragma once

#include <memory>
#include <string>

#include "fs/node.h"

namespace cairn::fs {

class IndexJsonFile : public Node {
 public:
  // The current version for `snapshot` at `path`; `rendered` belongs to the snapshot's
  // directory.
  static std::shared_ptr<IndexJsonFile> Current(const FsContext& context, const std::string& path,
                                                const Snapshot& snapshot, RecentValue<std::string>& rendered);

  IndexJsonFile(const FsContext& context, const std::string& path, int64_t mtime,
                std::shared_ptr<const std::string> content);

  bool immutable() const override { return true; }  // one version never changes
  NodeAttr Attr() override;
  std::unique_ptr<FileReader> Open() override;

 private:
  const int64_t mtime_;
  const std::shared_ptr<const std::string> content_;
};

}  // namespace cairn::fs
