// A fixed set of worker threads running submitted tasks in FIFO order. Owned by one object;
// destruction finishes queued tasks and joins every thread (no detached threads).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cairn {

class ThreadPool {
 public:
  // REQUIRES: threads >= 1.
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`. Tasks must not throw; catch inside and report through your own channel.
  void Submit(std::function<void()> task);
  size_t size() const { return threads_.size(); }

  // The number of hardware threads, at least 1.
  static size_t DefaultSize();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace cairn
