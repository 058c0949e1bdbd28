#include "fs/ext_node.h"

namespace cairn::fs {
namespace {

NodeType TypeOfMode(uint32_t mode) {
  if (LINUX_S_ISDIR(mode)) return NodeType::kDirectory;
  if (LINUX_S_ISLNK(mode)) return NodeType::kSymlink;
  return NodeType::kFile;
}

NodeType TypeOfDirent(uint8_t file_type) {
  switch (file_type) {
    case EXT2_FT_DIR: return NodeType::kDirectory;
    case EXT2_FT_SYMLINK: return NodeType::kSymlink;
    default: return NodeType::kFile;
  }
}

class ExtFile : public FileReader {
 public:
  ExtFile(std::shared_ptr<ExtFilesystem> fs, uint32_t ino) : fs_(std::move(fs)), ino_(ino) {}
  size_t Read(uint64_t offset, std::span<uint8_t> out) override { return fs_->Read(ino_, offset, out); }

 private:
  const std::shared_ptr<ExtFilesystem> fs_;  // kept open while the file is
  const uint32_t ino_;
};

}  // namespace

ExtNode::ExtNode(const FsContext& context, std::string fs_root, ImageRef image, uint32_t volume,
                 uint32_t ext_ino)
    : Node(context, PathOf(fs_root, ext_ino)),
      fs_root_(std::move(fs_root)),
      image_(std::move(image)),
      volume_(volume),
      ext_ino_(ext_ino) {}

std::string ExtNode::PathOf(const std::string& fs_root, uint32_t ext_ino) {
  return ext_ino == ExtFilesystem::kRootIno ? fs_root : fs_root + "/#" + std::to_string(ext_ino);
}

NodeAttr ExtNode::Attr() {
  ExtStat st = Filesystem()->Stat(ext_ino_);
  PosixAttr posix{st.mode,      st.uid,       st.gid,        st.nlink,      st.rdev,
                  st.atime.sec, st.ctime.sec, st.atime.nsec, st.mtime.nsec, st.ctime.nsec};
  uint64_t size = LINUX_S_ISDIR(st.mode) ? 0 : st.size;
  return NodeAttr{TypeOfMode(st.mode), size, st.mtime.sec, st.blocks, posix};
}

std::shared_ptr<Node> ExtNode::Lookup(std::string_view name) {
  std::optional<uint32_t> child = Filesystem()->Lookup(ext_ino_, name);
  if (!child) return nullptr;
  return std::make_shared<ExtNode>(context_, fs_root_, image_, volume_, *child);
}

std::vector<DirEntry> ExtNode::List() {
  std::vector<DirEntry> entries;
  for (ExtDirEntry& entry : Filesystem()->List(ext_ino_)) {
    uint64_t ino = InodeOf(PathOf(fs_root_, entry.ino));
    entries.push_back(DirEntry{std::move(entry.name), ino, TypeOfDirent(entry.file_type)});
  }
  return entries;
}

std::unique_ptr<FileReader> ExtNode::Open() {
  std::shared_ptr<ExtFilesystem> fs = Filesystem();
  ExtStat st = fs->Stat(ext_ino_);
  if (!LINUX_S_ISREG(st.mode)) throw Error(ErrorKind::kInvalidInput, path() + " is not a regular file");
  return std::make_unique<ExtFile>(std::move(fs), ext_ino_);
}

std::string ExtNode::ReadLink() {
  return Filesystem()->ReadLink(ext_ino_);
}

}  // namespace cairn::fs
