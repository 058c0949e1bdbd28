#include "fs/pxar_node.h"

#include <sys/stat.h>

#include <algorithm>

#include "core/pxar/acl_xattr.h"
#include "core/pxar/catalog_listing.h"

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
std::string NodePath(std::string_view archive_path, std::string path, bool directory, uint64_t entry_start) {
  if (directory) return path;
  return std::string(archive_path) + "//" + std::to_string(entry_start);
}

std::string NodePath(std::string_view archive_path, std::string path, const pxar::Entry& e) {
  return NodePath(archive_path, std::move(path), e.kind == pxar::EntryKind::kDirectory, e.entry_start);
}

// The d_type part of st_mode of a catalog entry.
uint32_t FileTypeOf(CatalogEntryType type) {
  switch (type) {
    case CatalogEntryType::kDirectory: return S_IFDIR;
    case CatalogEntryType::kSymlink: return S_IFLNK;
    case CatalogEntryType::kBlockDevice: return S_IFBLK;
    case CatalogEntryType::kCharDevice: return S_IFCHR;
    case CatalogEntryType::kFifo: return S_IFIFO;
    case CatalogEntryType::kSocket: return S_IFSOCK;
    case CatalogEntryType::kFile:
    case CatalogEntryType::kHardlink: return S_IFREG;
  }
  return S_IFREG;
}

NodeType TypeOfMode(uint32_t mode) {
  if (S_ISDIR(mode)) return NodeType::kDirectory;
  if (S_ISREG(mode)) return NodeType::kFile;
  if (S_ISLNK(mode)) return NodeType::kSymlink;
  return NodeType::kOther;
}

// `pushed`: ReadShared (what the adapter pushes) goes through the archive's reader for pushes.
class PxarFileReader : public FileReader {
 public:
  PxarFileReader(std::shared_ptr<const PxarArchive> archive, pxar::Entry entry, bool pushed)
      : archive_(std::move(archive)), entry_(std::move(entry)), pushed_(pushed) {}
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    return archive_->accessor().ReadFile(entry_, offset, out);
  }
  std::optional<std::vector<SharedBytes>> ReadShared(uint64_t offset, size_t size) override {
    if (pushed_) return archive_->accessor().ReadFileSharedFrom(archive_->push_contents(), entry_, offset, size);
    return archive_->accessor().ReadFileShared(entry_, offset, size);
  }

 private:
  const std::shared_ptr<const PxarArchive> archive_;
  const pxar::Entry entry_;
  const bool pushed_;
};

}  // namespace

PxarNode::PxarNode(const FsContext& context, std::shared_ptr<const PxarArchive> archive, std::string_view archive_path,
                   std::string path, pxar::Entry entry)
    : Node(context, NodePath(archive_path, std::move(path), entry)), archive_(std::move(archive)),
      archive_path_size_(static_cast<uint32_t>(archive_path.size())), kind_(entry.kind), stat_(entry.meta.stat),
      entry_start_(entry.entry_start), dir_end_(entry.dir_end), file_size_(entry.file_size),
      content_offset_(entry.content_offset),
      rdev_(entry.kind == pxar::EntryKind::kDevice ? pxar::MakeDev(entry.dev_major, entry.dev_minor) : 0),
      extras_(ExtrasOf(entry)) {}

std::unique_ptr<const PxarNode::Extras> PxarNode::ExtrasOf(pxar::Entry& entry) {
  pxar::Metadata& meta = entry.meta;
  if (entry.link_target.empty() && meta.xattrs.empty() && meta.acl.empty() && !meta.fcaps) return nullptr;
  return std::make_unique<const Extras>(
      Extras{std::move(entry.link_target), std::move(meta.xattrs), std::move(meta.acl), std::move(meta.fcaps)});
}

pxar::Entry PxarNode::Location() const {
  pxar::Entry e;
  e.kind = kind_;
  e.meta.stat = stat_;
  e.entry_start = entry_start_;
  e.dir_end = dir_end_;
  e.file_size = file_size_;
  e.content_offset = content_offset_;
  return e;
}

NodeAttr PxarNode::Attr() {
  NodeAttr attr;
  attr.type = TypeOf(kind_);
  attr.size = kind_ == pxar::EntryKind::kFile ? file_size_
              : kind_ == pxar::EntryKind::kSymlink && extras_ ? extras_->link_target.size()
                                                                : 0;
  const pxar::Stat& st = stat_;
  attr.mtime = st.mtime_secs;
  PosixAttr& posix = attr.posix.emplace();
  posix.mode = static_cast<uint32_t>(st.mode);
  posix.uid = static_cast<uint32_t>(st.uid);
  posix.gid = static_cast<uint32_t>(st.gid);
  posix.nlink = attr.type == NodeType::kDirectory ? 2
                : kind_ == pxar::EntryKind::kFile ? archive_->LinkCount(entry_start_)
                                                  : 1;
  posix.rdev = rdev_;
  // pxar stores the mtime only; atime and ctime show it too.
  posix.atime = posix.ctime = st.mtime_secs;
  posix.atime_nsec = posix.mtime_nsec = posix.ctime_nsec = static_cast<uint32_t>(st.mtime_nanos);
  return attr;
}

std::shared_ptr<PxarNode> PxarNode::Child(pxar::Entry entry) const {
  std::string path = ChildPath(entry.name);
  return std::make_shared<PxarNode>(context_, archive_, archive_path(), std::move(path), std::move(entry));
}

std::shared_ptr<Node> PxarNode::Lookup(std::string_view name) {
  if (kind_ != pxar::EntryKind::kDirectory) return Node::Lookup(name);
  std::optional<pxar::Entry> child = archive_->accessor().Lookup(Location(), name);
  if (!child) return nullptr;
  return Child(std::move(*child));
}

DirEntry PxarNode::EntryOf(const pxar::Entry& e) const {
  std::string path = NodePath(archive_path(), ChildPath(e.name), e);
  return DirEntry{e.name, InodeOf(path), TypeOf(e.kind), static_cast<uint32_t>(e.meta.stat.mode), e.entry_start};
}

std::vector<DirEntry> PxarNode::List() {
  if (kind_ != pxar::EntryKind::kDirectory) return Node::List();
  archive_->Walk(entry_start_, dir_end_);
  std::optional<std::vector<DirEntry>> out = ListFromCatalog();
  if (!out) {
    out.emplace();
    archive_->accessor().List(Location(), [&](pxar::Entry&& e) { out->push_back(EntryOf(e)); });
  }
  // An entry far ahead (a subdirectory's, or a file's after subdirectories): a walk reaches
  // it later, and then its chunk is at hand; `find` never looks files up at all. Looking it
  // up now would decode its chunk once for this listing and again when the walk comes.
  for (DirEntry& e : *out) e.deferred = !archive_->IsAtHand(e.position);
  return std::move(*out);
}

std::optional<std::vector<DirEntry>> PxarNode::ListFromCatalog() const {
  const Catalog* catalog = archive_->catalog();
  if (catalog == nullptr) return std::nullopt;
  try {
    std::string_view rel = std::string_view(path()).substr(std::min<size_t>(path().size(), archive_path_size_ + 1));
    std::optional<uint64_t> block = pxar::FindCatalogDirectory(*catalog, archive_->stored_name(), rel);
    if (!block) return std::nullopt;
    const pxar::Entry dir = Location();
    std::optional<std::vector<pxar::CatalogChild>> children =
        pxar::ListFromCatalog(*catalog, *block, archive_->accessor(), dir);
    if (!children) return std::nullopt;
    std::vector<DirEntry> out;
    out.reserve(children->size());
    for (const pxar::CatalogChild& c : *children) {
      if (c.type == CatalogEntryType::kHardlink) {
        // Its inode is its target's: resolve it in the archive (hardlinks are few).
        std::optional<pxar::Entry> e = archive_->accessor().Lookup(dir, c.name);
        if (!e) return std::nullopt;
        out.push_back(EntryOf(*e));
        out.back().position = c.entry_start;  // not its target's: keeps the listing in order
        continue;
      }
      const uint32_t mode = FileTypeOf(c.type);
      std::string path = NodePath(archive_path(), ChildPath(c.name), S_ISDIR(mode), c.entry_start);
      out.push_back(DirEntry{c.name, InodeOf(path), TypeOfMode(mode), mode, c.entry_start});
    }
    return out;
  } catch (const Error&) {
    return std::nullopt;  // a damaged catalog (or table): the archive decides, and reports
  }
}

std::unique_ptr<FileReader> PxarNode::Open() {
  if (kind_ != pxar::EntryKind::kFile) return Node::Open();
  return std::make_unique<PxarFileReader>(archive_, Location(), /*pushed=*/false);
}

std::unique_ptr<FileReader> PxarNode::OpenToPush() {
  if (kind_ != pxar::EntryKind::kFile) return Node::OpenToPush();
  return std::make_unique<PxarFileReader>(archive_, Location(), /*pushed=*/true);
}

std::vector<NextFile> PxarNode::ReadNext() {
  if (kind_ != pxar::EntryKind::kFile) return {};
  std::vector<NextFile> next;
  for (const pxar::FollowingFile& file : archive_->FilesToPushAfter(entry_start_)) {
    std::string path = NodePath(archive_path(), std::string(), /*directory=*/false, file.entry_start);
    uint64_t ino = InodeOf(path);
    next.push_back({ino, std::move(path), file.size});
  }
  return next;
}

std::string PxarNode::ReadLink() {
  if (kind_ != pxar::EntryKind::kSymlink) return Node::ReadLink();
  return extras_ ? extras_->link_target : std::string();
}

std::vector<std::string> PxarNode::ListXattrs() {
  std::vector<std::string> names;
  if (!extras_) return names;
  for (const pxar::Xattr& x : extras_->xattrs) names.push_back(x.name);
  if (extras_->fcaps) names.push_back(kFcapsXattr);
  if (pxar::AccessAclXattr(extras_->acl, stat_.mode)) names.push_back(pxar::kAclAccessXattr);
  if (pxar::DefaultAclXattr(extras_->acl)) names.push_back(pxar::kAclDefaultXattr);
  return names;
}

std::optional<std::string> PxarNode::GetXattr(std::string_view name) {
  if (!extras_) return std::nullopt;
  for (const pxar::Xattr& x : extras_->xattrs) {
    if (x.name == name) return x.value;
  }
  if (name == kFcapsXattr) return extras_->fcaps;
  if (name == pxar::kAclAccessXattr) return pxar::AccessAclXattr(extras_->acl, stat_.mode);
  if (name == pxar::kAclDefaultXattr) return pxar::DefaultAclXattr(extras_->acl);
  return std::nullopt;
}

}  // namespace cairn::fs
