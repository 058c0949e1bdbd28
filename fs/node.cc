#include "fs/node.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include "fs/inode.h"

namespace cairn::fs {
namespace {

// Inodes hash the path in the datastore, not below the mount point, so that mounting a
// namespace alone gives its nodes the numbers they have in a mount of the whole datastore.
uint64_t InodeFor(const FsContext& context, const std::string& path) {
  std::string in_datastore = context.base.RelativePath().string();
  if (!in_datastore.empty() && !path.empty()) in_datastore += '/';
  return StableInode(in_datastore + path);
}

}  // namespace

Node::Node(const FsContext& context, std::string path, uint64_t ino)
    : context_(context), path_(std::move(path)), ino_(ino != 0 ? ino : InodeFor(context, path_)) {}

std::shared_ptr<Node> Node::Lookup(std::string_view) { throw Error(ErrorKind::kInvalidInput, path_ + " is not a directory"); }
std::vector<DirEntry> Node::List() { throw Error(ErrorKind::kInvalidInput, path_ + " is not a directory"); }
std::unique_ptr<FileReader> Node::Open() { throw Error(ErrorKind::kInvalidInput, path_ + " is not a file"); }
std::string Node::ReadLink() { throw Error(ErrorKind::kInvalidInput, path_ + " is not a symbolic link"); }

std::string Node::ChildPath(std::string_view name) const {
  return path_.empty() ? std::string(name) : path_ + "/" + std::string(name);
}

uint64_t Node::InodeOf(const std::string& path) const { return InodeFor(context_, path); }

uint64_t Node::VersionedInodeOf(const FsContext& context, const std::string& path, const Digest& digest) {
  // NUL cannot occur in a path: no path's own number collides with a version's.
  return InodeFor(context, path + '\0' + std::string(digest.begin(), digest.end()));
}

DirEntry Node::ChildEntry(std::string name, NodeType type) const {
  uint64_t ino = InodeFor(context_, ChildPath(name));
  return DirEntry{std::move(name), ino, type};
}

mode_t ModeOfType(NodeType type, uint32_t mode) {
  switch (type) {
    case NodeType::kDirectory: return S_IFDIR;
    case NodeType::kFile: return S_IFREG;
    case NodeType::kSymlink: return S_IFLNK;
    case NodeType::kOther: return mode & S_IFMT;
  }
  return 0;
}

int64_t DirectoryMtime(const std::filesystem::path& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) throw SystemError("stat " + dir.string(), errno);
  return st.st_mtim.tv_sec;
}

size_t MemoryFile::Read(uint64_t offset, std::span<uint8_t> out) {
  const std::string& content = *content_;
  if (offset >= content.size()) return 0;
  size_t n = std::min<uint64_t>(out.size(), content.size() - offset);
  std::memcpy(out.data(), content.data() + offset, n);
  return n;
}

std::optional<std::vector<SharedBytes>> MemoryFile::ReadShared(uint64_t offset, size_t size) {
  const std::string& content = *content_;
  if (offset >= content.size()) return std::vector<SharedBytes>{};
  return std::vector<SharedBytes>{{content_, AsBytes(std::string_view(content).substr(offset, size))}};
}

}  // namespace cairn::fs
