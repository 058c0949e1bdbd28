// Bounds how many tasks a producer has handed to a ThreadPool but not yet finished, and
// carries the first failure back to the producer. Used where a reader thread feeds work
// (chunks to hash or verify) faster than the workers finish it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>

namespace cairn {

class BoundedTasks {
 public:
  explicit BoundedTasks(size_t max_in_flight) : max_in_flight_(max_in_flight) {}

  // Blocks until fewer than max_in_flight tasks are running, then counts one more. Rethrows
  // the first failure reported so far.
  void Acquire();
  // Marks one task finished; `failure` (may be null) is kept if it is the first.
  void Release(std::exception_ptr failure = nullptr);
  // Blocks until every acquired task is released; rethrows the first failure.
  void WaitAll();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t max_in_flight_;
  size_t in_flight_ = 0;        // guarded by mu_
  std::exception_ptr failure_;  // guarded by mu_
};

}  // namespace cairn
