// The decoded-chunk cache shared by every reader of every snapshot in a process (DESIGN.md
// "core/cache"). Chunks are keyed by digest alone, so identical chunks of different
// snapshots are held once.
//
// Work runs on two pools the cache owns: fetches (ChunkStore::Fetch, which may wait on a
// disk, a network or an injected delay) on an I/O pool of many threads, and decoding (CRC,
// decrypt, decompress, digest check) on a pool sized to the cores. A fetch therefore never
// occupies a decode worker, and 16 fetches can be in flight while two cores decode.
// Requests for a digest that is already cached or in flight join it (single flight).
//
// Memory: every decoded chunk alive anywhere (in the cache, held by a reader, or reserved
// for a fetch in flight) counts against one byte budget. Eviction is a segmented LRU: new
// chunks enter a probation segment, a chunk used a second time moves to a protected segment
// (at most 3/4 of the budget), and eviction takes probation first, so a long sequential scan
// cannot flush the chunks random readers keep coming back to. Chunks that someone holds
// (a PendingChunk or a ChunkHandle) are pinned: evicting them would free nothing. With
// ChunkCacheOptions::bound_process, the budget covers the whole process, and chunks get
// what the rest of it leaves (limit()). Beyond the budget, the buffers of the last 4 freed
// chunks and of the last 4 decoded fetches are kept to be read and decoded into again
// (chunk_cache.cc); with bound_process they count as the rest of the process.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/crypto/crypt_config.h"
#include "core/crypto/sha256.h"
#include "core/store/chunk_store.h"
#include "core/util/aligned_bytes.h"
#include "core/util/bytes.h"
#include "core/util/error.h"
#include "core/util/thread_pool.h"

namespace cairn {

inline constexpr uint64_t kDefaultCacheBudget = 256 << 20;
inline constexpr size_t kDefaultFetchThreads = 32;

// Decoded chunk bytes. The cache and any number of readers share them; they are freed when
// the last holder lets go, never while a reader uses them. Page-aligned: an uncompressed
// chunk is read with direct I/O and becomes its own decoded bytes (DecodeChunk).
using ChunkHandle = std::shared_ptr<const AlignedBytes>;

// What identifies a chunk and what its decoded size must be (from the index).
struct ChunkKey {
  Digest digest;
  size_t size;
};

// Where a chunk comes from and how to decode it. `crypt` (null when unencrypted) must
// outlive the cache: a fetch may still be finishing after the reader that asked is gone.
struct ChunkSource {
  std::shared_ptr<const ChunkStore> store;
  const CryptConfig* crypt = nullptr;
};

struct ChunkCacheOptions {
  uint64_t budget = kDefaultCacheBudget;  // bytes of decoded chunks
  // The budget bounds the whole process's resident memory, not only the decoded chunks:
  // every 8 MiB decoded, the cache measures what the rest of the process holds (RSS minus
  // decoded chunks: a mount's nodes, fetch buffers, libraries), adds the freed bytes that
  // may wait for the next heap trim, and keeps its chunks within what is left, but never
  // within less than a quarter of the budget. For programs whose memory the budget is
  // meant to bound (mount, nbd, restore, cat).
  bool bound_process = false;
  size_t decode_threads = 0;              // 0: one per core
  size_t fetch_threads = kDefaultFetchThreads;
};

struct ChunkCacheStats {
  uint64_t budget = 0;
  uint64_t limit = 0;             // what chunks may use now: the budget, less the rest of the process when bounded
  uint64_t resident_bytes = 0;    // decoded bytes of the chunks the cache holds now
  uint64_t resident_chunks = 0;   // how many chunks that is
  uint64_t live_bytes = 0;        // decoded bytes alive anywhere, plus reservations in flight
  uint64_t peak_live_bytes = 0;   // the largest live_bytes seen
  uint64_t hits = 0;              // demand requests served from memory or an in-flight fetch
  uint64_t misses = 0;            // demand requests that started a fetch
  uint64_t prefetches = 0;        // read-ahead requests that started a fetch
  uint64_t prefetch_refused = 0;  // read-ahead requests refused: no room without evicting pinned chunks
  uint64_t prefetch_dropped = 0;  // read-ahead fetches skipped because nobody wanted them any more
  uint64_t fetches = 0;           // ChunkStore::Fetch calls
  uint64_t decodes = 0;           // DecodeChunk calls
  uint64_t failures = 0;          // fetches or decodes that raised an error
  uint64_t evictions = 0;
};

namespace internal {
struct ChunkEntry;
struct ChunkPin;

// Where a requested chunk is on its way: queued for the I/O pool, being fetched, queued for
// the decode pool, being decoded, done (decoded or failed).
enum class ChunkStage { kFetchQueued, kFetching, kDecodeQueued, kDecoding, kDone };

}  // namespace internal

// A chunk requested from a ChunkCache: decoded already, or on its way. Holding one pins the
// chunk in memory. Cheap to copy; all copies refer to the same request.
class PendingChunk {
 public:
  PendingChunk() = default;

  // False for a default-constructed or refused request.
  explicit operator bool() const { return pin_ != nullptr; }
  // Blocks until the chunk is decoded and returns it, or throws the Error that its fetch or
  // decode raised (which names neither image nor offset; readers add those).
  // REQUIRES: *this is true.
  ChunkHandle Wait() const;
  // True once Wait() would return or throw without blocking.
  bool done() const;

 private:
  friend class ChunkCache;
  explicit PendingChunk(std::shared_ptr<internal::ChunkPin> pin) : pin_(std::move(pin)) {}

  // Shared by all PendingChunks of one entry; the entry sees whether any exists (its own
  // references from the cache's map, lists and workers do not count as pins).
  std::shared_ptr<internal::ChunkPin> pin_;
};

class ChunkCache {
 public:
  // The first cache of a process also limits glibc to one malloc arena, and caches trim the
  // heap now and then: otherwise freed chunk buffers pile up in per-thread arenas and
  // fragment the heap, and the process grows far beyond the budget (see chunk_cache.cc).
  explicit ChunkCache(const ChunkCacheOptions& options = {});
  // Cancels read-ahead that has not started, then waits for every fetch and decode in
  // flight. REQUIRES: no thread is inside a call of this cache.
  ~ChunkCache();
  ChunkCache(const ChunkCache&) = delete;
  ChunkCache& operator=(const ChunkCache&) = delete;

  // Returns the chunk from memory, joins a fetch already in flight, or starts one with the
  // priority of a read someone is waiting for. Never blocks on I/O or decoding. Errors are
  // not cached: a request after a failure tries again.
  PendingChunk Request(const ChunkKey& key, const ChunkSource& source);

  // Read-ahead: like Request at lower priority, but refused (returns an empty PendingChunk)
  // when the chunk would only fit by evicting pinned or protected chunks. Being fetched
  // ahead does not count as a use; a read-ahead chunk is promoted only when used twice.
  PendingChunk Prefetch(const ChunkKey& key, const ChunkSource& source);
  // Read-ahead of what a walk through a file archive reads next for sure
  // (fs/walk_read_ahead.h): as Prefetch, but it may evict protected chunks too, oldest
  // first, and is refused only when the room is pinned. A walk uses the chunks it passes
  // many times over (each entry looked up is a use): they fill the protected segment, and
  // plain read-ahead, refused for lack of room, fell behind the walk.
  PendingChunk PrefetchForWalk(const ChunkKey& key, const ChunkSource& source);

  // True when the chunk is decoded in memory now (a request would not wait). Neither a use
  // nor a pin: it may be evicted right after.
  bool IsResident(const ChunkKey& key) const;
  // Request(key, source).Wait().
  ChunkHandle Get(const ChunkKey& key, const ChunkSource& source) { return Request(key, source).Wait(); }

  uint64_t budget() const { return budget_; }
  // Bytes of decoded chunks (and fetches in flight) the cache keeps within now: the budget,
  // less what the rest of the process holds when ChunkCacheOptions::bound_process is set.
  uint64_t limit() const;
  size_t decode_threads() const { return decode_pool_.size(); }
  ChunkCacheStats stats() const;

 private:
  using EntryPtr = std::shared_ptr<internal::ChunkEntry>;
  struct Accounting;  // live-byte counters, shared with the deleters of handed-out chunks

  // Job queues: the pools run "take the next job" tasks, one per queued job, so demand
  // work overtakes queued read-ahead although the pools themselves are FIFO. Read-ahead
  // runs in request order: fetches that finish together (after the same injected delay)
  // are decoded in the order readers will need them, which keeps a sequential reader
  // consuming, and so requesting, steadily instead of in bursts.
  struct JobQueue {
    std::deque<EntryPtr> demand;  // first come, first served
    std::deque<EntryPtr> ahead;   // ascending request sequence number
  };

  // Who asks, which decides what a request may evict and whether it may be refused.
  enum class Asker { kReader, kReadAhead, kWalk };
  PendingChunk Lookup(const ChunkKey& key, const ChunkSource& source, Asker asker);
  // REQUIRES mu_ held. A PendingChunk for `entry`, sharing the pin of any existing one.
  static PendingChunk Pin(const EntryPtr& entry);
  // REQUIRES mu_ held. Evicts unpinned chunks, probation before protected and oldest first,
  // until `incoming` more bytes fit the budget, and returns whether they fit. Read-ahead
  // may evict only from probation, and read-ahead of either kind nothing when that is not
  // enough. The evicted bytes go to `victims`; destroying those frees them.
  bool MakeRoom(uint64_t incoming, Asker asker, std::vector<ChunkHandle>& victims);
  // REQUIRES mu_ held. Marks a resident chunk used: probation -> protected on second use.
  void Touch(internal::ChunkEntry& entry);
  // With bound_process: measures what the process holds besides decoded chunks.
  void MeasureProcess();
  // REQUIRES mu_ held. Keeps the protected segment within its share of the limit.
  void BalanceSegments();
  // REQUIRES mu_ held. Removes a resident chunk from its segment list.
  void Unlink(internal::ChunkEntry& entry);
  // REQUIRES mu_ held. Queues a job for `entry`: at the end of the demand queue when a
  // reader waits for it, else in sequence order among the read-ahead.
  void Enqueue(JobQueue& queue, const EntryPtr& entry);
  // REQUIRES mu_ held. The next job of `queue` (demand first) still at stage `from`, moved to
  // stage `to`; null when none is left (a job may be queued twice after a priority raise).
  EntryPtr TakeJob(JobQueue& queue, internal::ChunkStage from, internal::ChunkStage to);
  void RunFetch();
  void RunDecode();
  // Publishes the result of an entry's fetch and decode; removes failed entries.
  void Complete(const EntryPtr& entry, ChunkHandle data, std::optional<Error> error);

  const uint64_t budget_;
  const bool bound_process_;
  std::shared_ptr<Accounting> accounting_;
  std::atomic<uint64_t> others_{0};  // resident bytes of the process besides decoded chunks, last measured

  mutable std::mutex mu_;
  std::unordered_map<Digest, EntryPtr, DigestHash> entries_;  // guarded by mu_; resident and in flight
  std::list<EntryPtr> probation_;                             // guarded by mu_; resident, most recent first
  std::list<EntryPtr> protected_;                             // guarded by mu_; resident, most recent first
  uint64_t probation_bytes_ = 0;                              // guarded by mu_
  uint64_t protected_bytes_ = 0;                              // guarded by mu_
  JobQueue fetch_jobs_;                                       // guarded by mu_
  JobQueue decode_jobs_;                                      // guarded by mu_
  bool stopping_ = false;                                     // guarded by mu_; set by the destructor
  uint64_t next_sequence_ = 0;                                // guarded by mu_; numbers requests in order
  ChunkCacheStats counters_;                                  // guarded by mu_; the event counters of stats()

  // Declared last: destroyed first, so their tasks finish while everything above exists.
  // The I/O pool goes before the decode pool because fetches hand work to decoders.
  ThreadPool decode_pool_;
  ThreadPool fetch_pool_;
};

}  // namespace cairn
