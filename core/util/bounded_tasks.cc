#include "core/util/bounded_tasks.h"

namespace cairn {

void BoundedTasks::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return in_flight_ < max_in_flight_; });
  if (failure_) std::rethrow_exception(failure_);
  ++in_flight_;
}

void BoundedTasks::Release(std::exception_ptr failure) {
  std::lock_guard lock(mu_);
  if (failure && !failure_) failure_ = failure;
  --in_flight_;
  cv_.notify_all();
}

void BoundedTasks::WaitAll() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return in_flight_ == 0; });
  if (failure_) std::rethrow_exception(failure_);
}

}  // namespace cairn
