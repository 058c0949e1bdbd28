#include "fs/listing_expiry.h"

#include "fs/node.h"

namespace cairn::fs {

ListingExpiry::ListingExpiry(fuse_session* session) : session_(session), thread_([this] { Run(); }) {}

ListingExpiry::~ListingExpiry() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ListingExpiry::Listed(uint64_t ino) {
  {
    std::lock_guard lock(mu_);
    // The kernel keeps the first listing since the last expiry; that one's age counts.
    if (!pending_.insert(ino).second) return;
    due_.emplace_back(std::chrono::steady_clock::now() + kFreshness, ino);
  }
  changed_.notify_all();
}

void ListingExpiry::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      changed_.wait(lock);
    } else if (std::chrono::steady_clock::now() < due_.front().first) {
      changed_.wait_until(lock, due_.front().first);
    } else {
      uint64_t ino = due_.front().second;
      due_.pop_front();
      pending_.erase(ino);
      lock.unlock();
      // Fails only for a directory the kernel has forgotten meanwhile.
      fuse_lowlevel_notify_inval_inode(session_, ino, 0, 0);
      lock.lock();
    }
  }
}

}  // namespace cairn::fs
