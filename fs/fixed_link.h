// A symlink whose target never changes (a partition's label link `1-EFI` -> `1`).
#pragma once

#include "fs/node.h"

namespace cairn::fs {

class FixedLink : public Node {
 public:
  FixedLink(const FsContext& context, std::string path, std::string target, int64_t mtime)
      : Node(context, std::move(path)), target_(std::move(target)), mtime_(mtime) {}

  bool immutable() const override { return true; }
  NodeAttr Attr() override { return NodeAttr{NodeType::kSymlink, target_.size(), mtime_, 0, std::nullopt}; }
  std::string ReadLink() override { return target_; }

 private:
  const std::string target_;
  const int64_t mtime_;
};

}  // namespace cairn::fs
