// The node kinds of the FUSE filesystem share this interface (modelled on restic's
// internal/fuse): each kind of directory, file and link lives in its own file and knows how to
// describe itself, find its children and open itself. fuse_adapter.cc turns kernel requests
// into calls on these; nothing here knows about libfuse.
//
// Nodes are cheap descriptions of a place in the tree ("vm/100/2024-05-01T10:00:00Z"): they
// are created on lookup, may be created again for the same place, and ask the datastore
// whenever they are asked (directory contents are never cached for longer than the kernel's
// attribute timeout), so snapshots added or pruned while mounted show up by themselves.
// Every method may throw cairn::Error; the adapter maps it to an errno in one place.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/cache/chunk_cache.h"
#include "core/crypto/crypt_config.h"
#include "core/crypto/sha256.h"
#include "core/read/index_reader.h"
#include "core/store/datastore.h"
#include "core/util/thread_pool.h"

namespace cairn::fs {

class VolumeCache;  // volume_cache.h
// A new, empty VolumeCache.
std::shared_ptr<VolumeCache> MakeVolumeCache();

// Everything the nodes share, owned by the mount and outliving every node and file reader.
struct FsContext {
  const Datastore* datastore;
  ChunkCache* cache;
  const CryptConfig* crypt;   // null without --keyfile: encrypted data then reads as EACCES
  ReadOptions read_options;
  BackupNamespace base;       // the namespace shown as the mount's root
  uid_t uid = 0;              // owner reported for every node
  gid_t gid = 0;
  int64_t mount_time = 0;     // mtime of nodes that have no time of their own
  // Partition layouts and open filesystems of images (`.parts/`, `.fs/`), shared by all nodes.
  std::shared_ptr<VolumeCache> volumes = MakeVolumeCache();
  // Read the manifests of streamed index.json listings ahead of the reader. More threads
  // than cores: on a cold or slow disk, they mostly wait for reads.
  std::shared_ptr<ThreadPool> manifest_readers = std::make_shared<ThreadPool>(8);
};

// kOther: devices, FIFOs and sockets (of file archives); NodeAttr::posix->mode says which.
enum class NodeType { kDirectory, kFile, kSymlink, kOther };

// What a node inside stored data (a file archive's or an ext partition's tree) reports about
// itself instead of the mount's defaults (read-only modes, the mount's owner, mtime for all
// times).
struct PosixAttr {
  uint32_t mode = 0;   // st_mode: type and permission bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 1;
  uint64_t rdev = 0;
  int64_t atime = 0, ctime = 0;  // epoch seconds
  uint32_t atime_nsec = 0, mtime_nsec = 0, ctime_nsec = 0;
};

struct NodeAttr {
  NodeType type = NodeType::kDirectory;
  uint64_t size = 0;    // bytes (files), target length (links), 0 for directories
  int64_t mtime = 0;    // epoch seconds
  uint64_t blocks = 0;  // 512-byte blocks; 0 means "size rounded up"
  std::optional<PosixAttr> posix = std::nullopt;  // set by nodes of archives and filesystems
};

// The d_type-style mode bits of a listing entry.
mode_t ModeOfType(NodeType type, uint32_t mode);

struct DirEntry {
  std::string name;
  uint64_t ino;
  NodeType type;
  uint32_t mode = 0;  // full st_mode when known (kOther needs it)
  // Where the entry lies in its file archive (0 elsewhere, and for "." and ".."). An
  // archive's listing is in the order of its positions, except for entries found elsewhere
  // (a hardlink listed from the archive is at its target).
  uint64_t position = 0;
  // readdirplus sends it without attributes, leaving its lookup to the kernel when needed:
  // looking it up now would fetch a chunk that a walk through the tree has not reached
  // (PxarNode::List).
  bool deferred = false;
};

// A file that a reader is likely to read next (Node::ReadNext).
struct NextFile {
  uint64_t ino;
  std::string path;  // its node's path(): tells it from another node with the same number
  uint64_t size;
};

// Reads a file node's content. There are no open handles: every inode's content is fixed
// (generated files take a new inode when theirs changes, Node::VersionedInodeOf), so the adapter
// reads through a few readers per mount keyed by inode (file_readers.h) and the kernel
// needs no open or release (zero-message open).
class FileReader {
 public:
  virtual ~FileReader() = default;
  // Reads up to out.size() bytes at `offset`; returns the count, 0 at or past the end.
  // Thread-safe: the kernel issues reads of one file from several threads.
  virtual size_t Read(uint64_t offset, std::span<uint8_t> out) = 0;
  // The same bytes as pieces of memory they keep alive themselves (SharedBytes), so that a
  // reply goes out straight from the chunk cache; nullopt for files with no such memory,
  // which the adapter reads with Read into a buffer of its own.
  virtual std::optional<std::vector<SharedBytes>> ReadShared(uint64_t, size_t) { return std::nullopt; }
};

class Node {
 public:
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The stable inode number (see inode.h).
  uint64_t ino() const { return ino_; }
  // The path below the mount point, "" for the root.
  const std::string& path() const { return path_; }

  // True for what lies inside a snapshot's data (archives, images, blobs): its attributes
  // and, for a directory, its entries can never change, so the kernel may cache them for as
  // long as it likes. The datastore's own directories change as snapshots come and go.
  virtual bool immutable() const { return false; }
  // Throws kNotFound when the thing the node describes has gone.
  virtual NodeAttr Attr() = 0;
  // Directories: the child called `name`, or null when there is none.
  virtual std::shared_ptr<Node> Lookup(std::string_view name);
  // Directories: the children, without "." and "..".
  virtual std::vector<DirEntry> List();
  // Files: a reader of the content, which is the same for every call on the same inode.
  virtual std::unique_ptr<FileReader> Open();
  // Files: the files that a reader of this one is likely to read next, whose contents the
  // adapter then pushes into the kernel's page cache ahead of the reader. None by default.
  virtual std::vector<NextFile> ReadNext() { return {}; }
  // Files: a reader of the same content as Open's, for those pushes, when the node keeps
  // them apart from the kernel's own reads (whose read-ahead they would disturb).
  virtual std::unique_ptr<FileReader> OpenToPush() { return Open(); }
  // Symlinks: the target.
  virtual std::string ReadLink();
  // Extended attribute names, and the value of one (nullopt when absent). None by default.
  virtual std::vector<std::string> ListXattrs() { return {}; }
  virtual std::optional<std::string> GetXattr(std::string_view) { return std::nullopt; }

 protected:
  // `ino` 0: derive it from the path.
  Node(const FsContext& context, std::string path, uint64_t ino = 0);

  const Datastore& datastore() const { return *context_.datastore; }
  // The mount-relative path of child `name`, and a directory entry for it.
  std::string ChildPath(std::string_view name) const;
  DirEntry ChildEntry(std::string name, NodeType type) const;
  // The inode number a node at mount-relative `path` gets.
  uint64_t InodeOf(const std::string& path) const;
  // The inode number of a generated file at `path` with content `digest`: the same for the
  // same content (across remounts too), another one once the content changes, so that a
  // file opened before the change keeps reading what it opened. Directory listings give
  // such a file its path's own number (InodeOf): a listing does not render its content.
  static uint64_t VersionedInodeOf(const FsContext& context, const std::string& path, const Digest& digest);

  const FsContext& context_;
  const std::string path_;  // below the mount point
  const uint64_t ino_;
};

// A FileReader over a BlockSource it owns (an image, a partition of one): replies come
// straight from the source's memory (BlockSource::ReadShared).
class BlockSourceFile : public FileReader {
 public:
  explicit BlockSourceFile(std::unique_ptr<BlockSource> source) : source_(std::move(source)) {}
  size_t Read(uint64_t offset, std::span<uint8_t> out) override { return source_->Read(offset, out); }
  std::optional<std::vector<SharedBytes>> ReadShared(uint64_t offset, size_t size) override {
    return source_->ReadShared(offset, size);
  }

 private:
  const std::unique_ptr<BlockSource> source_;
};

// A FileReader over bytes held in memory (decoded blobs, per-snapshot index.json); replies
// come straight from that memory.
class MemoryFile : public FileReader {
 public:
  explicit MemoryFile(std::shared_ptr<const std::string> content) : content_(std::move(content)) {}
  size_t Read(uint64_t offset, std::span<uint8_t> out) override;
  std::optional<std::vector<SharedBytes>> ReadShared(uint64_t offset, size_t size) override;

 private:
  const std::shared_ptr<const std::string> content_;
};

}  // namespace cairn::fs

namespace cairn::fs {

// The modification time of a directory in the datastore. Throws kNotFound when it is gone.
int64_t DirectoryMtime(const std::filesystem::path& dir);

// A value computed on demand and reused while it is younger than `max_age`, so that the
// stat, open and read of one `ls -l` or `cat` do not each recompute a generated file, while
// changes in the datastore still show up within the kernel's attribute timeout. A value
// that took long to compute (the listing of 10^5 snapshots) is reused for twice that long,
// so the kernel's repeated getattr calls during a long read cannot keep recomputing it.
template <typename T>
class RecentValue {
 public:
  template <typename Compute>
  std::shared_ptr<const T> Get(std::chrono::steady_clock::duration max_age, Compute compute) {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (!value_ || now - computed_ > std::max(max_age, 2 * cost_)) {
      value_ = std::make_shared<const T>(compute());
      computed_ = std::chrono::steady_clock::now();
      cost_ = computed_ - now;
    }
    return value_;
  }

 private:
  std::mutex mu_;
  std::shared_ptr<const T> value_;                  // guarded by mu_
  std::chrono::steady_clock::time_point computed_;  // guarded by mu_; when value_ was ready
  std::chrono::steady_clock::duration cost_{};      // guarded by mu_; how long it took
};

// How long a generated file's content is reused (and the kernel's attribute timeout).
inline constexpr std::chrono::seconds kFreshness{1};

}  // namespace cairn::fs
