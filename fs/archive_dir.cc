#include "fs/archive_dir.h"

namespace cairn::fs {

ArchiveDir::ArchiveDir(const FsContext& context, std::string path, Snapshot snapshot, std::string stored)
    : Node(context, std::move(path)), snapshot_(std::move(snapshot)), stored_(std::move(stored)) {}

NodeAttr ArchiveDir::Attr() {
  try {
    return Root().Attr();
  } catch (const Error&) {
    return NodeAttr{NodeType::kDirectory, 0, snapshot_.time, 0};
  }
}

PxarNode& ArchiveDir::Root() {
  std::lock_guard lock(mu_);
  if (!root_) {
    auto archive = std::make_shared<const PxarArchive>(context_, snapshot_, stored_);
    pxar::Entry root = archive->accessor().Root();
    root_ = std::make_shared<PxarNode>(context_, std::move(archive), path_, path_, std::move(root));
  }
  return *root_;
}

}  // namespace cairn::fs
