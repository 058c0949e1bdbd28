// The readers of the files the kernel reads, by inode number. The mount answers open() with
// ENOSYS (zero-message open, fuse_adapter.cc): every inode's content is fixed (node.h), so
// the kernel needs no handle, and reading a small file costs one round trip to the mount
// instead of three (open, read, release). Without a release nothing says when a reader is
// done, so the readers are kept here:
//   - at most `capacity`, the least recently used closed first;
//   - any idle for `idle_timeout` closed by a sweep thread. That lets go, soon after the
//     last read, of what a reader holds: the shared snapshot lock of an open image
//     (spec §9.4), which a PBS prune would otherwise wait for, and the chunks its
//     read-ahead pinned.
// A reader in use when it is closed here goes when its last read returns. A file whose
// reader was closed gets a new one at its next read; if its snapshot was pruned meanwhile,
// that read fails with EIO, as a read of a pruned chunk does.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <unordered_map>

#include "fs/node.h"

namespace cairn::fs {

inline constexpr size_t kMaxFileReaders = 64;
inline constexpr std::chrono::milliseconds kIdleFileReaderTimeout{10000};

class FileReaders {
 public:
  explicit FileReaders(size_t capacity = kMaxFileReaders,
                       std::chrono::milliseconds idle_timeout = kIdleFileReaderTimeout);
  FileReaders(const FileReaders&) = delete;
  FileReaders& operator=(const FileReaders&) = delete;

  // The reader of inode `ino`, made by `open` (outside the lock; what it throws is passed
  // on) when there is none.
  std::shared_ptr<FileReader> Get(uint64_t ino, const std::function<std::unique_ptr<FileReader>()>& open);
  // How many readers are kept.
  size_t size();

 private:
  struct Kept {
    std::shared_ptr<FileReader> reader;
    std::chrono::steady_clock::time_point used;
    std::list<uint64_t>::iterator position;  // in order_
  };

  void SweepIdle(std::stop_token stop);

  const size_t capacity_;
  const std::chrono::milliseconds idle_timeout_;
  std::mutex mu_;
  std::condition_variable_any tick_;
  std::list<uint64_t> order_;                // guarded by mu_; most recently used first
  std::unordered_map<uint64_t, Kept> kept_;  // guarded by mu_
  std::jthread sweeper_;                     // last: stops before the readers go
};

}  // namespace cairn::fs
