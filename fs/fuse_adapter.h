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
#include "fs/file_readers.h"
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

  // The session store notifications go to; set once it exists.
  void set_session(fuse_session* session) { session_ = session; }
  // After file `ino` was read from its start: pushes the contents of the files its node
  // says are read next (Node::ReadNext) into the kernel's page cache, each only while the
  // kernel knows that node, so that reading them needs no request. Errors are left to the
  // reads of those files.
  void PushReadNext(uint64_t ino);
  struct PushStats {
    uint64_t files = 0, bytes = 0;
  };
  PushStats push_stats() const { return {pushed_files_.load(), pushed_bytes_.load()}; }

  // A directory opened by opendir: its entries.
  struct Listing {
    std::vector<DirEntry> entries;
  };
  // Owns a directory listing; returns its handle for fuse_file_info::fh.
  uint64_t AddListing(Listing listing);
  // Null for an unknown handle. The listing stays until ReleaseListing(fh).
  Listing* ListingOf(uint64_t fh);
  void ReleaseListing(uint64_t fh);

 private:
  struct Known {
    std::shared_ptr<Node> node;
    uint64_t lookups = 0;  // kernel references; the root is never forgotten
  };

  const FsContext& context_;
  std::mutex mu_;
  std::unordered_map<uint64_t, Known> nodes_;        // guarded by mu_
  std::unordered_map<uint64_t, Listing> listings_;  // guarded by mu_
  uint64_t next_handle_ = 1;                         // guarded by mu_
  RecentMessages logged_failures_;
  std::atomic<bool> zero_message_open_ = false;
  FileReaders readers_;
  std::atomic<fuse_session*> session_ = nullptr;
  // A push waits for the kernel's page locks, which a read in flight holds until another
  // thread replies to it: a few pushes at a time leave threads for the replies.
  std::atomic<int> pushes_ = 0;
  std::atomic<uint64_t> pushed_files_ = 0, pushed_bytes_ = 0;
};

}  // namespace cairn::fs
