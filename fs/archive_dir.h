// A file archive (`root.pxar`, stored as root.pxar.didx or as the split pair
// root.mpxar.didx + root.ppxar.didx) as a directory whose tree mirrors the archive (see
// pxar_node.h). The archive is opened on first use and stays open while the kernel knows
// this node or any node below it.
#pragma once

#include <memory>
#include <mutex>

#include "fs/node.h"
#include "fs/pxar_node.h"

namespace cairn::fs {

class ArchiveDir : public Node {
 public:
  // `stored`: the index file name from the manifest.
  ArchiveDir(const FsContext& context, std::string path, Snapshot snapshot, std::string stored);

  // The root's stored metadata; a plain directory when the archive cannot be opened (e.g.
  // encrypted and no key), so that listing the snapshot still works.
  bool immutable() const override { return true; }
  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override { return Root().Lookup(name); }
  std::vector<DirEntry> List() override { return Root().List(); }
  std::vector<std::string> ListXattrs() override { return Root().ListXattrs(); }
  std::optional<std::string> GetXattr(std::string_view name) override { return Root().GetXattr(name); }

 private:
  // The archive's root, opening the archive the first time. Throws Error.
  PxarNode& Root();

  const Snapshot snapshot_;
  const std::string stored_;
  std::mutex mu_;
  std::shared_ptr<PxarNode> root_;  // guarded by mu_
};

}  // namespace cairn::fs
