#include "fs/listing_read_ahead.h"

#include <algorithm>

namespace cairn::fs {

void ListingReadAhead::At(std::span<const DirEntry> entries, size_t index) {
  if (depth_ == 0 || index >= entries.size()) return;
  const size_t chunks = reader_.chunk_count();
  std::lock_guard lock(mu_);
  if (index < last_) {  // rewound
    window_.clear();
    scanned_ = index;
  }
  last_ = index;
  if (entries[index].position != 0) {
    const size_t current = reader_.ChunkIndexAt(entries[index].position);
    while (!window_.empty() && window_.front().first < current) window_.pop_front();
  }
  scanned_ = std::max(scanned_, index);
  for (; scanned_ < entries.size() && window_.size() < depth_; ++scanned_) {
    if (entries[scanned_].position == 0 || entries[scanned_].deferred) continue;
    const size_t i = reader_.ChunkIndexAt(entries[scanned_].position);
    if (i >= chunks || (!window_.empty() && i <= window_.back().first) || reader_.IsZeroChunk(i)) continue;
    window_.emplace_back(i, reader_.PrefetchChunk(i));
  }
}

}  // namespace cairn::fs
