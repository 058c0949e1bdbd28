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
};

}  // namespace cairn::fs
