#include "fs/type_dir.h"

#include "fs/group_dir.h"

namespace cairn::fs {

TypeDir::TypeDir(const FsContext& context, std::string path, BackupNamespace ns, BackupType type)
    : Node(context, std::move(path)), ns_(std::move(ns)), type_(type) {}

NodeAttr TypeDir::Attr() {
  return NodeAttr{NodeType::kDirectory, 0,
                  DirectoryMtime(datastore().root() / ns_.RelativePath() / BackupTypeName(type_)), 0};
}

std::shared_ptr<Node> TypeDir::Lookup(std::string_view name) {
  if (!IsSafeName(name)) return nullptr;
  BackupGroup group{ns_, type_, std::string(name)};
  std::error_code ec;
  if (!std::filesystem::is_directory(datastore().PathOf(group), ec)) return nullptr;
  return std::make_shared<GroupDir>(context_, ChildPath(name), std::move(group));
}

std::vector<DirEntry> TypeDir::List() {
  std::vector<DirEntry> entries;
  for (const BackupGroup& group : datastore().ListGroups(ns_)) {
    if (group.type == type_) entries.push_back(ChildEntry(group.id, NodeType::kDirectory));
  }
  return entries;
}

}  // namespace cairn::fs
