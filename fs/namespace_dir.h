// A namespace: `index.json` (every snapshot below it), `ns/` (its child namespaces, when it
// has any) and one directory per backup type that has groups (`ct/`, `host/`, `vm/`), so
// the tree mirrors the datastore's own layout.
#pragma once

#include "fs/listing_stream.h"
#include "fs/node.h"

namespace cairn::fs {

class NamespaceDir : public Node {
 public:
  NamespaceDir(const FsContext& context, std::string path, BackupNamespace ns, uint64_t ino = 0);

  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;

 private:
  const BackupNamespace ns_;
  RecentValue<ListingLayout> listing_;  // of its index.json
};

}  // namespace cairn::fs
