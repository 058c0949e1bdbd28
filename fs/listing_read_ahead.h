// Read-ahead for readdirplus over a directory of a file archive. readdirplus looks up every
// entry it returns, one after the other, and a v1 archive's entries lie between file
// contents, spread over many chunks: without read-ahead, each of those chunks is fetched and
// decoded only when a lookup waits for it, one at a time (`find` over 10^5 files waited for
// some 300 chunks in turn). The listing knows where each entry lies (DirEntry::position), so
// the chunks the next lookups need can be fetched before they are asked for.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <utility>

#include "core/read/index_reader.h"
#include "fs/node.h"

namespace cairn::fs {

class ListingReadAhead {
 public:
  // `reader` (the directory's Node::ListingReader) must outlive this; `depth` chunks are
  // kept ahead (0: none).
  ListingReadAhead(const IndexReader& reader, size_t depth) : reader_(reader), depth_(depth) {}

  // Entry `index` of `entries` (the listing, in the order of its positions) is about to be
  // looked up: lets go of the chunks before its chunk, and starts fetching those of the
  // entries after it, until `depth` chunks are pinned or in flight. A step back (rewinddir)
  // starts over. An entry out of order costs read-ahead, never a result. Thread-safe.
  void At(std::span<const DirEntry> entries, size_t index);

 private:
  const IndexReader& reader_;
  const size_t depth_;
  std::mutex mu_;
  size_t last_ = 0;                                     // the entry At() was called for last
  size_t scanned_ = 0;                                  // entries [0, scanned_) are in window_ or behind
  std::deque<std::pair<size_t, PendingChunk>> window_;  // chunk index and its read-ahead, ascending
};

}  // namespace cairn::fs
