// `vm/`, `ct/` or `host/` in a namespace: one directory per backup group of that type.
#pragma once

#include "fs/node.h"

namespace cairn::fs {

class TypeDir : public Node {
 public:
  TypeDir(const FsContext& context, std::string path, BackupNamespace ns, BackupType type);

  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;

 private:
  const BackupNamespace ns_;
  const BackupType type_;
};

}  // namespace cairn::fs
