#include "core/read/read_ahead.h"

#include <algorithm>

namespace cairn {

ReadAhead::Stream& ReadAhead::StreamFor(uint64_t offset) {
  Stream* replace = &streams_[0];
  for (Stream& s : streams_) {
    if (s.id != 0 && offset + kSlack >= s.next && offset <= s.next + kSlack) {
      ++s.streak;
      return s;
    }
    if (s.used < replace->used) replace = &s;  // unused slots have used == 0
  }
  *replace = Stream{};
  replace->id = next_id_++;
  return *replace;
}

std::vector<ReadAhead::Held> ReadAhead::OnRead(uint64_t offset, uint64_t end, size_t first, size_t last,
                                               uint64_t* stream_id) {
  std::vector<Held> held(last - first + 1);
  std::lock_guard lock(mu_);
  Stream& s = StreamFor(offset);
  *stream_id = s.id;
  s.next = std::max(s.next, end);
  s.used = ++tick_;
  for (Stream& other : streams_) {
    if (other.used + kIdleReads < tick_) other.window.clear();
  }

  if (s.current_index >= first && s.current_index <= last) {
    held[s.current_index - first].ready = s.current.lock();
  }
  // Chunks before this read were skipped (or read by an overlapping request); chunks it
  // covers leave the window now and are pinned by the read until it has copied them.
  while (!s.window.empty() && s.window.front().first <= last) {
    auto& [index, pending] = s.window.front();
    if (index >= first) held[index - first].pending = std::move(pending);
    s.window.pop_front();
  }
  if (depth_ > 0 && s.streak >= kSequentialAfter) TopUp(s, last);
  return held;
}

void ReadAhead::TopUp(Stream& s, size_t last) {
  s.scan = std::max(s.scan, last + 1);
  const size_t count = chunks_.chunk_count();
  const size_t scan_end = std::min(count, s.scan + kMaxScan);
  while (s.window.size() < depth_ && s.scan < scan_end) {
    if (!chunks_.IsZeroChunk(s.scan)) {
      PendingChunk pending = chunks_.PrefetchChunk(s.scan);
      if (!pending) return;  // no room in the budget now; the next read tries again
      s.window.emplace_back(s.scan, std::move(pending));
    }
    ++s.scan;
  }
}

void ReadAhead::Remember(uint64_t stream_id, size_t index, const ChunkHandle& data) {
  std::lock_guard lock(mu_);
  for (Stream& s : streams_) {
    if (s.id == stream_id) {
      s.current_index = index;
      s.current = data;
      return;
    }
  }
}

}  // namespace cairn
