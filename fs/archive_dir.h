// A file archive (`root.pxar`) as a directory. Its contents arrive with the pxar reader;
// until then it is an empty directory, so that the tree already has its final shape.
#pragma once

#include "fs/node.h"

namespace cairn::fs {

class ArchiveDir : public Node {
 public:
  ArchiveDir(const FsContext& context, std::string path, int64_t backup_time);

  NodeAttr Attr() override { return NodeAttr{NodeType::kDirectory, 0, backup_time_, 0}; }
  std::shared_ptr<Node> Lookup(std::string_view) override { return nullptr; }
  std::vector<DirEntry> List() override { return {}; }

 private:
  const int64_t backup_time_;
};

}  // namespace cairn::fs
