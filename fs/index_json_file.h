// `index.json` in a snapshot: the manifest as PBS writes it plus what is derived from the
// datastore: per file "encrypted" and, for chunked archives, "chunk-count"; for the snapshot
// "protected", "owner", "notes" and "verify-state". Readable without a key (the manifest is
// never encrypted). Built whole, it is a few KiB; regenerated at most every kFreshness, so
// notes or protection changed by PBS show up.
#pragma once

#include "fs/node.h"

namespace cairn::fs {

class IndexJsonFile : public Node {
 public:
  IndexJsonFile(const FsContext& context, std::string path, Snapshot snapshot);

  NodeAttr Attr() override;
  std::unique_ptr<OpenFile> Open() override;

 private:
  std::string Render() const;

  const Snapshot snapshot_;
  RecentValue<std::string> content_;
};

}  // namespace cairn::fs
