#include "fs/namespace_dir.h"

#include <set>

#include "fs/listing_json_file.h"
#include "fs/namespace_list_dir.h"
#include "fs/type_dir.h"

namespace cairn::fs {

inline constexpr char kNamespacesDir[] = "ns";

NamespaceDir::NamespaceDir(const FsContext& context, std::string path, BackupNamespace ns, uint64_t ino)
    : Node(context, std::move(path), ino), ns_(std::move(ns)) {}

NodeAttr NamespaceDir::Attr() {
  return NodeAttr{NodeType::kDirectory, 0, DirectoryMtime(datastore().root() / ns_.RelativePath()), 0};
}

std::shared_ptr<Node> NamespaceDir::Lookup(std::string_view name) {
  if (name == kIndexJson) return ListingJsonFile::Current(context_, ChildPath(name), ListingScope{ns_, {}}, listing_);
  if (name == kNamespacesDir) {
    if (datastore().ListNamespaces(ns_).empty()) return nullptr;
    return std::make_shared<NamespaceListDir>(context_, ChildPath(name), ns_);
  }
  std::optional<BackupType> type = ParseBackupType(name);
  std::error_code ec;
  if (!type || !std::filesystem::is_directory(datastore().root() / ns_.RelativePath() / name, ec)) return nullptr;
  return std::make_shared<TypeDir>(context_, ChildPath(name), ns_, *type);
}

std::vector<DirEntry> NamespaceDir::List() {
  std::vector<DirEntry> entries = {ChildEntry(kIndexJson, NodeType::kFile)};
  if (!datastore().ListNamespaces(ns_).empty()) entries.push_back(ChildEntry(kNamespacesDir, NodeType::kDirectory));
  std::set<BackupType> types;
  for (const BackupGroup& group : datastore().ListGroups(ns_)) types.insert(group.type);
  for (BackupType type : types) entries.push_back(ChildEntry(std::string(BackupTypeName(type)), NodeType::kDirectory));
  return entries;
}

}  // namespace cairn::fs
