// Per-reader detection of sequential streams, and the read-ahead window of each.
//
// One reader may serve several sequential streams at once (an NBD client or the kernel
// reading from parallel queues), so up to kMaxStreams are tracked; a read that continues
// none replaces the least recently used. A read continues a stream when it starts within
// kSlack bytes of where the stream's last read ended: requests of one stream arrive slightly
// out of order when several threads serve them. After kSequentialAfter continuing reads the
// stream is sequential, and its window keeps the next `depth` non-zero chunks beyond the
// last chunk read requested from the cache, stopping at the end of the index. Random access
// never starts a window.
//
// Window chunks are pinned (held as PendingChunk), so nothing evicts a chunk the stream is
// about to read; the cache refuses read-ahead that does not fit its budget, and the window
// tries again on the next read. A stream that no read has continued for kIdleReads reads of
// the reader lets its window go (it keeps its place, and refills it if continued): a file
// archive's reader serves one file after another, and a stream left behind, in a slot no
// new stream needed, used to pin 16 chunks for as long as the mount lived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "core/cache/chunk_cache.h"

namespace cairn {

inline constexpr size_t kDefaultReadahead = 16;

class ReadAhead {
 public:
  static constexpr size_t kMaxStreams = 4;
  static constexpr uint64_t kSlack = 256 << 10;
  static constexpr int kSequentialAfter = 2;
  static constexpr uint64_t kIdleReads = 64;
  // Most chunk indexes one read may scan for non-zero chunks (a long zero run ends a top-up
  // early; the next read continues the scan).
  static constexpr size_t kMaxScan = 4096;

  // What read-ahead needs from the reader that owns it.
  class Chunks {
   public:
    virtual size_t chunk_count() const = 0;
    virtual bool IsZeroChunk(size_t i) const = 0;
    // Asks the cache to fetch chunk i ahead of need; empty when the cache refused.
    virtual PendingChunk PrefetchChunk(size_t i) const = 0;

   protected:
    ~Chunks() = default;
  };

  // What a stream already holds for a chunk a read needs: a pending read-ahead, the decoded
  // chunk its last read used, or nothing.
  struct Held {
    PendingChunk pending;
    ChunkHandle ready;
  };

  // `chunks` must outlive this. depth 0 disables read-ahead (streams are still tracked, so
  // that re-reading the current chunk needs no cache lookup).
  ReadAhead(const Chunks& chunks, size_t depth) : chunks_(chunks), depth_(depth) {}

  // Records a read of bytes [offset, end) touching chunks [first, last] and returns what
  // its stream holds for them (element i - first for chunk i), then tops up the window.
  // `*stream` receives the stream's id for Remember().
  std::vector<Held> OnRead(uint64_t offset, uint64_t end, size_t first, size_t last, uint64_t* stream);

  // Remembers `data`, chunk `index`, as the last chunk stream `stream` read, without pinning
  // it. A no-op when the stream has been replaced meanwhile.
  void Remember(uint64_t stream, size_t index, const ChunkHandle& data);

  size_t depth() const { return depth_; }

 private:
  struct Stream {
    uint64_t id = 0;    // 0: unused slot
    uint64_t next = 0;  // where the last read ended
    int streak = 0;     // continuing reads so far
    uint64_t used = 0;  // tick of the last read, for replacement
    size_t scan = 0;    // first chunk index the window has not considered yet
    std::deque<std::pair<size_t, PendingChunk>> window;  // read-ahead, ascending index
    size_t current_index = 0;                            // the chunk `current` holds
    std::weak_ptr<const AlignedBytes> current;           // last chunk read, unpinned
  };

  // REQUIRES mu_ held. The stream `offset` continues, or a fresh one replacing the least
  // recently used.
  Stream& StreamFor(uint64_t offset);
  // REQUIRES mu_ held. Requests chunks ahead of `last` until the window is full.
  void TopUp(Stream& stream, size_t last);

  const Chunks& chunks_;
  const size_t depth_;
  std::mutex mu_;
  Stream streams_[kMaxStreams];  // guarded by mu_
  uint64_t tick_ = 0;            // guarded by mu_
  uint64_t next_id_ = 1;         // guarded by mu_
};

}  // namespace cairn
