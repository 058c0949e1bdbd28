// `latest` in a group: a relative symlink to the newest finished snapshot's directory.
// Resolved whenever it is read, so it follows new backups and prunes.
#pragma once

#include "fs/node.h"

namespace cairn::fs {

inline constexpr char kLatestLinkName[] = "latest";

class LatestLink : public Node {
 public:
  LatestLink(const FsContext& context, std::string path, BackupGroup group);

  // Throws kNotFound when the group has no snapshot.
  NodeAttr Attr() override;
  std::string ReadLink() override;

 private:
  Snapshot Newest() const;

  const BackupGroup group_;
};

}  // namespace cairn::fs
