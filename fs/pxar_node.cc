#include "fs/pxar_node.h"

#include <sys/stat.h>

#include "core/pxar/acl_xattr.h"

namespace cairn::fs {
namespace {

constexpr char kFcapsXattr[] = "security.capability";

NodeType TypeOf(pxar::EntryKind kind) {
  switch (kind) {
    case pxar::EntryKind::kDirectory: return NodeType::kDirectory;
    case pxar::EntryKind::kFile: return NodeType::kFile;
    case pxar::EntryKind::kSymlink: return NodeType::kSymlink;
    default: return NodeType::kOther;
  }
}

// Directories are named by their path; other entries by the archive and their offset.
std::string NodePath(const std::string& archive_path, const std::string& path, const pxar::Entry& e) {
  if (e.kind == pxar::EntryKind::kDirectory) return path;
  return archive_path + "//" + std::to_string(e.entry_start);
}

class PxarFileHandle : public OpenFile {
 public:
  PxarFileHandle(std::shared_ptr<const PxarArchive> archive, pxar::Entry entry)
      : archive_(std::move(archive)), entry_(std::move(entry)) {}
  uint64_t size() const override { return entry_.file_size; }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    return archive_->accessor().ReadFile(entry_, offset, out);
  }
  bool immutable() const override { return true; }

 private:
  const std::shared_ptr<const PxarArchive> archive_;
  const pxar::Entry entry_;
};

}  // namespace

PxarNode::PxarNode(const FsContext& context, std::shared_ptr<const PxarArchive> archive, std::string archive_path,
                   std::string path, pxar::Entry entry)
    : Node(context, NodePath(archive_path, path, entry)), archive_(std::move(archive)),
      archive_path_(std::move(archive_path)), entry_(std::move(entry)) {}

NodeAttr PxarNode::Attr() {
  NodeAttr attr;
  attr.type = TypeOf(entry_.kind);
  attr.size = entry_.kind == pxar::EntryKind::kFile ? entry_.file_size
              : entry_.kind == pxar::EntryKind::kSymlink ? entry_.link_target.size()
                                                           : 0;
  const pxar::Stat& st = entry_.meta.stat;
  attr.mtime = st.mtime_secs;
  PosixAttr& posix = attr.posix.emplace();
  posix.mode = static_cast<uint32_t>(st.mode);
  posix.uid = static_cast<uint32_t>(st.uid);
  posix.gid = static_cast<uint32_t>(st.gid);
  posix.nlink = attr.type == NodeType::kDirectory ? 2
                : entry_.kind == pxar::EntryKind::kFile ? archive_->LinkCount(entry_)
                                                        : 1;
  if (entry_.kind == pxar::EntryKind::kDevice) posix.rdev = pxar::MakeDev(entry_.dev_major, entry_.dev_minor);
  // pxar stores the mtime only; atime and ctime show it too.
  posix.atime = posix.ctime = st.mtime_secs;
  posix.atime_nsec = posix.mtime_nsec = posix.ctime_nsec = static_cast<uint32_t>(st.mtime_nanos);
  return attr;
}

std::shared_ptr<PxarNode> PxarNode::Child(pxar::Entry entry) const {
  std::string path = ChildPath(entry.name);
  return std::make_shared<PxarNode>(context_, archive_, archive_path_, std::move(path), std::move(entry));
}

std::shared_ptr<Node> PxarNode::Lookup(std::string_view name) {
  if (entry_.kind != pxar::EntryKind::kDirectory) return Node::Lookup(name);
  std::optional<pxar::Entry> child = archive_->accessor().Lookup(entry_, name);
  if (!child) return nullptr;
  return Child(std::move(*child));
}

std::vector<DirEntry> PxarNode::List() {
  if (entry_.kind != pxar::EntryKind::kDirectory) return Node::List();
  std::vector<DirEntry> out;
  archive_->accessor().List(entry_, [&](pxar::Entry&& e) {
    std::string path = NodePath(archive_path_, ChildPath(e.name), e);
    out.push_back(DirEntry{e.name, InodeOf(path), TypeOf(e.kind), static_cast<uint32_t>(e.meta.stat.mode)});
  });
  return out;
}

std::unique_ptr<OpenFile> PxarNode::Open() {
  if (entry_.kind != pxar::EntryKind::kFile) return Node::Open();
  return std::make_unique<PxarFileHandle>(archive_, entry_);
}

std::string PxarNode::ReadLink() {
  if (entry_.kind != pxar::EntryKind::kSymlink) return Node::ReadLink();
  return entry_.link_target;
}

std::vector<std::string> PxarNode::ListXattrs() {
  std::vector<std::string> names;
  for (const pxar::Xattr& x : entry_.meta.xattrs) names.push_back(x.name);
  if (entry_.meta.fcaps) names.push_back(kFcapsXattr);
  if (pxar::AccessAclXattr(entry_.meta.acl, entry_.meta.stat.mode)) names.push_back(pxar::kAclAccessXattr);
  if (pxar::DefaultAclXattr(entry_.meta.acl)) names.push_back(pxar::kAclDefaultXattr);
  return names;
}

std::optional<std::string> PxarNode::GetXattr(std::string_view name) {
  for (const pxar::Xattr& x : entry_.meta.xattrs) {
    if (x.name == name) return x.value;
  }
  if (name == kFcapsXattr) return entry_.meta.fcaps;
  if (name == pxar::kAclAccessXattr) return pxar::AccessAclXattr(entry_.meta.acl, entry_.meta.stat.mode);
  if (name == pxar::kAclDefaultXattr) return pxar::DefaultAclXattr(entry_.meta.acl);
  return std::nullopt;
}

}  // namespace cairn::fs
