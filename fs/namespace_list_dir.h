// The `ns/` directory of a namespace: one directory per child namespace, as on disk.
#pragma once

#include "fs/node.h"

namespace cairn::fs {

class NamespaceListDir : public Node {
 public:
  NamespaceListDir(const FsContext& context, std::string path, BackupNamespace parent);

  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;

 private:
  const BackupNamespace parent_;  // the namespace whose children this lists
};

}  // namespace cairn::fs
