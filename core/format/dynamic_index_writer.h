// Builds dynamic index files (.didx, spec §4; the layout is described in dynamic_index.h)
// one chunk at a time, as a stream is chunked.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/crypto/sha256.h"
#include "core/format/dynamic_index.h"
#include "core/format/index_common.h"
#include "core/util/bytes.h"

namespace cairn {

class DynamicIndexWriter {
 public:
  DynamicIndexWriter() = default;

  // Appends the chunk that ends at stream offset `end` (exclusive) with `digest`.
  // REQUIRES: end is larger than every end added before, and > 0 (chunks are never empty);
  // otherwise throws Error(kInvalidInput) and leaves the writer unchanged.
  void Add(uint64_t end, const Digest& digest);

  // Returns the complete .didx file for the entries added so far, with index_csum filled
  // in and the reserved header area zero; byte-identical to what PBS writes. Does not
  // change the writer.
  Bytes Finish(const IndexUuid& uuid, int64_t ctime) const;

  // index_csum of the entries added so far (what the manifest records). O(entries).
  Digest csum() const { return Sha256(entries_); }
  // Stream size so far: the last end, 0 when empty.
  uint64_t size() const { return last_end_; }
  size_t chunk_count() const { return entries_.size() / kDynamicIndexEntrySize; }

 private:
  Bytes entries_;          // the entry area exactly as it will be stored
  uint64_t last_end_ = 0;  // end of the last entry
};

}  // namespace cairn
