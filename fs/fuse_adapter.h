// The libfuse low-level callbacks, and the table of nodes the kernel currently knows.
//
// Every callback finds its node by inode number, calls one method of it and replies; errors
// become errno values through ErrnoFor (errno_map.h) and are logged unless they are a plain
// "not found". Everything that would write replies EROFS. A node stays in the table while
// the kernel holds a lookup reference to it (until forget); file readers and directory
// listings are owned here too, so that they are all gone when the session ends.
#pragma once

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/util/log.h"
#include "core/util/lru_cache.h"
#include "fs/file_readers.h"
#include "fs/listing_expiry.h"
#include "fs/node.h"

namespace cairn::fs {

// The largest read we negotiate with the kernel (its own limit is 256 pages).
inline constexpr unsigned kMaxRead = 1 << 20;
// How far the kernel reads ahead of a sequential reader: one 4 MiB image chunk, so that
// several 1 MiB reads are in flight while the chunk cache decodes further ahead.
inline constexpr unsigned kKernelReadAhead = 4 << 20;

class FuseAdapter {
 public:
  // `context` must outlive the adapter.
  explicit FuseAdapter(const FsContext& context);
  ~FuseAdapter();
  FuseAdapter(const FuseAdapter&) = delete;
  FuseAdapter& operator=(const FuseAdapter&) = delete;

  // The callbacks; the session's userdata must be a FuseAdapter.
  static const fuse_lowlevel_ops& Operations();

  const FsContext& context() const { return context_; }
  // Failures already logged: a damaged chunk is reported once, not for every retry.
  RecentMessages& logged_failures() { return logged_failures_; }

  // The node with inode `ino`. Throws kNotFound for an inode the kernel should not know.
  std::shared_ptr<Node> Get(uint64_t ino);
  // Records one more kernel reference to `node` (a successful lookup), keeping the node
  // already known under its inode. Throws kCorrupt on an inode collision.
  std::shared_ptr<Node> Remember(std::shared_ptr<Node> node);
  // Drops `count` references to `ino` (forget).
  void Forget(uint64_t ino, uint64_t count);

  // Whether the kernel takes ENOSYS from open as "no opens needed" (from INIT).
  bool zero_message_open() const { return zero_message_open_; }
  void set_zero_message_open(bool supported) { zero_message_open_ = supported; }
  // The reader of file `ino` (FileReaders). Throws what the node's Open throws.
  std::shared_ptr<FileReader> ReaderOf(uint64_t ino);

  // The session notifications go to, set once it exists and unset (null) before it goes
  // away, outside the session's loop.
  void set_session(fuse_session* session);
  // After file `ino` was read from its start: pushes the contents of the files its node
  // says are read next (Node::ReadNext) into the kernel's page cache, each only while the
  // kernel knows that node, so that reading them needs no request. Errors are left to the
  // reads of those files.
  void PushReadNext(uint64_t ino);
  struct PushStats {
    uint64_t files = 0, bytes = 0;
  };
  PushStats push_stats() const { return {pushed_files_.load(), pushed_bytes_.load()}; }

  // Whether the kernel takes ENOSYS from opendir as "no opendir needed" (from INIT). Then
  // it sends no opendir and releasedir (two requests of the four a walk makes per
  // directory) and keeps listings in its page cache (FOPEN_CACHE_DIR); ListingExpiry ends
  // that for the datastore's own directories.
  bool zero_message_opendir() const { return zero_message_opendir_; }
  void set_zero_message_opendir(bool supported) { zero_message_opendir_ = supported; }

  // A directory's entries as readdir serves them, "." and ".." first.
  struct Listing {
    std::vector<DirEntry> entries;
  };
  // The listing of directory `ino` now. Throws what the node's List throws.
  Listing MakeListing(uint64_t ino);
  // Owns a directory listing; returns its handle for fuse_file_info::fh.
  uint64_t AddListing(Listing listing);
  void ReleaseListing(uint64_t fh);
  // The listing a readdir of `ino` at `offset` continues: that of handle `fh` (opendir's),
  // or without one (zero-message opendir) the listing made at offset 0 of `ino`, kept among
  // the last few, else a new one. Throws kInvalidInput for an unknown handle.
  std::shared_ptr<const Listing> ListingFor(uint64_t ino, uint64_t fh, uint64_t offset);

 private:
  struct Known {
    std::shared_ptr<Node> node;
    uint64_t lookups = 0;  // kernel references; the root is never forgotten
  };

  const FsContext& context_;
  std::mutex mu_;
  std::unordered_map<uint64_t, Known> nodes_;        // guarded by mu_
  std::unordered_map<uint64_t, std::shared_ptr<const Listing>> listings_;  // guarded by mu_; by handle
  LruCache<uint64_t, const Listing> recent_listings_{16};                   // guarded by mu_; by inode
  uint64_t next_handle_ = 1;                         // guarded by mu_
  RecentMessages logged_failures_;
  std::atomic<bool> zero_message_open_ = false;
  std::atomic<bool> zero_message_opendir_ = false;
  std::unique_ptr<ListingExpiry> listing_expiry_;  // while there is a session
  FileReaders readers_;
  std::atomic<fuse_session*> session_ = nullptr;
  // A push waits for the kernel's page locks, which a read in flight holds until another
  // thread replies to it: a few pushes at a time leave threads for the replies.
  std::atomic<int> pushes_ = 0;
  std::atomic<uint64_t> pushed_files_ = 0, pushed_bytes_ = 0;
};

}  // namespace cairn::fs
