#include "fs/namespace_list_dir.h"

#include "fs/namespace_dir.h"

namespace cairn::fs {

NamespaceListDir::NamespaceListDir(const FsContext& context, std::string path, BackupNamespace parent)
    : Node(context, std::move(path)), parent_(std::move(parent)) {}

NodeAttr NamespaceListDir::Attr() {
  return NodeAttr{NodeType::kDirectory, 0, DirectoryMtime(datastore().root() / parent_.RelativePath() / "ns"), 0};
}

std::shared_ptr<Node> NamespaceListDir::Lookup(std::string_view name) {
  if (!IsSafeName(name) || parent_.components.size() >= kMaxNamespaceDepth) return nullptr;
  BackupNamespace child = parent_.Child(std::string(name));
  if (!datastore().NamespaceExists(child)) return nullptr;
  return std::make_shared<NamespaceDir>(context_, ChildPath(name), std::move(child));
}

std::vector<DirEntry> NamespaceListDir::List() {
  std::vector<DirEntry> entries;
  for (const BackupNamespace& child : datastore().ListNamespaces(parent_)) {
    entries.push_back(ChildEntry(child.components.back(), NodeType::kDirectory));
  }
  return entries;
}

}  // namespace cairn::fs
