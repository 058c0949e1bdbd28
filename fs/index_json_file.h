// `index.json` in a snapshot: the manifest as PBS writes it plus what is derived from the
// datastore: per file "encrypted" and, for chunked archives, "chunk-count"; for the snapshot
// "protected", "owner", "notes" and "verify-state"; for images (`.img.fidx`) the partition
// table and the filesystems found, with mount hints (AddVolumesJson in image_volumes.h).
// Readable without a key (the manifest is never encrypted); the volumes of an encrypted
// image need the mount's key and are replaced by "volumes-error" without it. Built whole, it is a few KiB; regenerated at most every kFreshness, so
// notes or protection changed by PBS show up.
#pragma once

#include <nlohmann/json.hpp>

#include "fs/node.h"

namespace cairn::fs {

class IndexJsonFile : public Node {
 public:
  IndexJsonFile(const FsContext& context, std::string path, Snapshot snapshot);

  NodeAttr Attr() override;
  std::unique_ptr<OpenFile> Open() override;

 private:
  std::string Render() const;
  // Adds the volumes of image `stored` to its entry `file`, or "volumes-error".
  void AddImageVolumes(const std::string& stored, nlohmann::json& file) const;

  const Snapshot snapshot_;
  RecentValue<std::string> content_;
};

}  // namespace cairn::fs
