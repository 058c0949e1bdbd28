// Read-ahead for a walk through a file archive's tree: `find`, `ls -R`, a copy. Such a walk
// opens directories in the order it lists them, which is the archive's own order (depth
// first, entries sorted by name, pxar-format.md), so the directories it opens start at
// ascending offsets, and what it needs next lies in the chunks after the directory it opened
// last: the entries it will look up and the subdirectories it will open. Without this, each
// directory's chunks are fetched and decoded only when its listing asks for them, and half
// of two cores sat idle during a `find` over 200,000 files (decode-bound, one listing at a
// time). Entries beyond the window are left out of readdirplus (DirEntry::deferred): the
// walk looks them up when it gets there. Its requests may evict chunks used twice
// (ChunkCache::PrefetchForWalk): the walk used the chunks behind it many times over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

#include "core/read/index_reader.h"

namespace cairn::fs {

class WalkReadAhead {
 public:
  // `reader` (the archive's metadata) must outlive this; `depth` chunks are kept pinned or in
  // flight from the walk's current chunk on (0: none).
  WalkReadAhead(const IndexReader& reader, size_t depth) : reader_(reader), depth_(depth) {}

  // The directory at bytes [start, end) of the archive is being opened: lets go of the
  // chunks before its chunk and fetches ahead from there. An ancestor of the directory opened
  // last changes nothing: walks reopen them on their way back up (`find` opens "..").
  // Another directory before the window (a second walk, or `ls` sorting names unlike the
  // archive) starts the window over there: an opening out of order costs read-ahead, never
  // a result. Thread-safe.
  void At(uint64_t start, uint64_t end);
  // True when the chunk holding byte `position` is in the window (being fetched or held).
  bool Covers(uint64_t position);

 private:
  const IndexReader& reader_;
  const size_t depth_;
  std::mutex mu_;
  uint64_t last_ = UINT64_MAX;                          // start of the directory opened last, but ancestors
  size_t scanned_ = 0;                                  // chunks [0, scanned_) are in window_ or behind
  std::deque<std::pair<size_t, PendingChunk>> window_;  // chunk index and its read-ahead, ascending
};

}  // namespace cairn::fs
