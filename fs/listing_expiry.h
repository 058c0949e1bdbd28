// Ends the kernel's caching of the listings of the datastore's own directories. Without
// opendir (zero-message opendir, fuse_adapter.h) the kernel caches every directory's
// listing (FOPEN_CACHE_DIR) until told otherwise; a namespace's, a group's or the root's
// listing changes as snapshots come and go, so each such listing is dropped from the
// kernel's cache (FUSE inode invalidation) kFreshness after it was made, as its attributes
// expire: the next listing comes from the datastore again.
#pragma once

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse_lowlevel.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>

namespace cairn::fs {

class ListingExpiry {
 public:
  // Invalidates through `session`, which must outlive this; runs a thread until destroyed.
  explicit ListingExpiry(fuse_session* session);
  ~ListingExpiry();
  ListingExpiry(const ListingExpiry&) = delete;
  ListingExpiry& operator=(const ListingExpiry&) = delete;

  // Directory `ino` was listed now. Thread-safe.
  void Listed(uint64_t ino);

 private:
  void Run();

  fuse_session* const session_;
  std::mutex mu_;
  std::condition_variable changed_;
  // Every listing expires kFreshness after it was made, so in the order they were made.
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> due_;  // guarded by mu_
  std::unordered_set<uint64_t> pending_;                                       // guarded by mu_; inos in due_
  bool stopping_ = false;                                                      // guarded by mu_
  std::thread thread_;
};

}  // namespace cairn::fs
