// A backup group: one directory per finished snapshot (named by backup time), a `latest`
// symlink to the newest, and `index.json` listing the group's snapshots.
#pragma once

#include "fs/listing_stream.h"
#include "fs/node.h"

namespace cairn::fs {

class GroupDir : public Node {
 public:
  GroupDir(const FsContext& context, std::string path, BackupGroup group);

  // mtime: the newest snapshot's backup time (the directory's own when it has none).
  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;

 private:
  const BackupGroup group_;
  RecentValue<ListingLayout> listing_;  // of its index.json
};

}  // namespace cairn::fs
