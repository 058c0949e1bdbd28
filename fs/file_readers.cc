#include "fs/file_readers.h"

#include <algorithm>
#include <vector>

namespace cairn::fs {

FileReaders::FileReaders(size_t capacity, std::chrono::milliseconds idle_timeout)
    : capacity_(std::max<size_t>(1, capacity)),
      idle_timeout_(idle_timeout),
      sweeper_([this](std::stop_token stop) { SweepIdle(stop); }) {}

std::shared_ptr<FileReader> FileReaders::Get(uint64_t ino, const std::function<std::unique_ptr<FileReader>()>& open) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (auto it = kept_.find(ino); it != kept_.end()) {
      it->second.used = now;
      order_.splice(order_.begin(), order_, it->second.position);
      return it->second.reader;
    }
  }
  std::shared_ptr<FileReader> made = open();
  std::shared_ptr<FileReader> evicted;  // closed outside the lock: it may release a snapshot lock
  std::lock_guard lock(mu_);
  auto [it, inserted] = kept_.try_emplace(ino, Kept{made, now, {}});
  if (!inserted) return it->second.reader;  // made meanwhile by another read: `made` goes
  order_.push_front(ino);
  it->second.position = order_.begin();
  if (kept_.size() > capacity_) {
    auto last = kept_.find(order_.back());
    evicted = std::move(last->second.reader);
    kept_.erase(last);
    order_.pop_back();
  }
  return made;
}

size_t FileReaders::size() {
  std::lock_guard lock(mu_);
  return kept_.size();
}

void FileReaders::SweepIdle(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    tick_.wait_for(lock, stop, idle_timeout_ / 2, [] { return false; });
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<FileReader>> idle;
    while (!order_.empty()) {
      auto last = kept_.find(order_.back());
      if (now - last->second.used < idle_timeout_) break;
      idle.push_back(std::move(last->second.reader));
      kept_.erase(last);
      order_.pop_back();
    }
    lock.unlock();
    idle.clear();
    lock.lock();
  }
}

}  // namespace cairn::fs
