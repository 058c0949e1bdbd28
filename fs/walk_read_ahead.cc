#include "fs/walk_read_ahead.h"

namespace cairn::fs {

void WalkReadAhead::At(uint64_t start, uint64_t end) {
  if (depth_ == 0) return;
  const size_t chunks = reader_.chunk_count();
  const size_t current = reader_.ChunkIndexAt(start);
  if (current >= chunks) return;
  std::lock_guard lock(mu_);
  if (start <= last_ && last_ < end) return;  // an ancestor of the walk's last directory
  last_ = start;
  if (current < (window_.empty() ? scanned_ : window_.front().first)) {
    window_.clear();  // behind the window: start over
    scanned_ = current;
  }
  while (!window_.empty() && window_.front().first < current) window_.pop_front();
  if (scanned_ < current) scanned_ = current;
  for (; scanned_ < chunks && window_.size() < depth_; ++scanned_) {
    if (reader_.IsZeroChunk(scanned_)) continue;
    PendingChunk pending = reader_.PrefetchChunkForWalk(scanned_);
    if (!pending) break;  // no room now: the next directory tries again
    window_.emplace_back(scanned_, std::move(pending));
  }
}

bool WalkReadAhead::Covers(uint64_t position) {
  const size_t i = reader_.ChunkIndexAt(position);
  std::lock_guard lock(mu_);
  return !window_.empty() && window_.front().first <= i && i < scanned_;
}

}  // namespace cairn::fs
