#include "core/cache/chunk_cache.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "core/format/blob.h"
#include "core/util/resident_memory.h"

namespace cairn {

using internal::ChunkStage;

namespace internal {

// One requested chunk. The cache's map and segment lists, its job queues and every
// PendingChunk share it.
struct ChunkEntry {
  ChunkEntry(const ChunkKey& k, const ChunkSource& s) : key(k), source(s) {}

  const ChunkKey key;
  const ChunkSource source;

  // Guarded by the cache's mu_.
  uint64_t sequence = 0;  // request order, for the read-ahead queues
  ChunkStage stage = ChunkStage::kFetchQueued;
  bool demanded = false;  // a demand request waits for it: its jobs run at demand priority
  int uses = 0;           // demand requests so far; the second one promotes to protected
  std::list<std::shared_ptr<ChunkEntry>>* segment = nullptr;  // its segment list while resident
  std::list<std::shared_ptr<ChunkEntry>>::iterator position;  // its place in *segment
  AlignedBytes encoded;                                       // from the fetch until the decode takes it
  std::weak_ptr<ChunkPin> pin;  // alive while any PendingChunk for this entry exists

  // The outcome, published once; guarded by done_mu.
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  ChunkHandle data;
  std::optional<Error> error;
};

// What PendingChunks hold: the entry, through a control block of its own so that the cache
// can tell requesters' references from its own.
struct ChunkPin {
  std::shared_ptr<ChunkEntry> entry;
};

}  // namespace internal

using internal::ChunkEntry;
using internal::ChunkPin;

// glibc and multi-megabyte chunk buffers. Fetched (1-4 MiB, sizes vary) and decoded (4 MiB)
// buffers are allocated by pool threads and freed by whichever holder lets go last.
//  - glibc gives threads their own arenas (up to 8 per core) and reuses memory freed into
//    one arena only for threads allocating from it; with 34 pool threads, freed buffers
//    piled up in every arena: 100-200 MiB resident beyond the budget. One arena fixes that
//    (two allocations per chunk do not contend).
//  - What remains is fragmentation: holes of varying sizes that a 4 MiB buffer does not
//    fit, 40-60 MiB with 16-32 chunks in flight, and more with a pxar archive's chunks of
//    1-16 MiB. Every kTrimInterval bytes freed, a heap with more than kHeapSlack free is
//    trimmed (freed pages go back to the kernel). At 256 MiB / 32 MiB a mount browsing a
//    100,000-file archive peaked at 355 MiB with a 256 MiB budget; at 16 MiB / 8 MiB it
//    peaks at 305 MiB (26 MiB of it the idle process), for no measurable loss of speed on
//    sequential image reads.
//  - Returning every buffer to the kernel (a fixed mmap threshold) would bound memory
//    exactly, but page-faulting every buffer back in cost 60% more CPU time per chunk.
//    Trimming does that too, for whatever it returns. So the last kRecycled buffers of
//    freed chunks are kept out of the heap and decoded into again, and the last kRecycled
//    fetch buffers whose chunk was decoded are fetched into again: with the cache full,
//    every decode evicts a chunk, and neither needs fresh memory (a `find` through a
//    100,000-file archive at the 256 MiB budget took 7% less CPU time for decoded chunks).
//    A fetch with no fetch buffer kept takes a freed chunk's: an uncompressed chunk keeps
//    its fetch buffer as its decoded bytes, so a run of them leaves none to fetch into.
//    Two of each, not four: kept buffers are memory the chunks do not get, and reading
//    every file of a 200,000-file archive through a mount (whose inodes take 60 MiB) at
//    the same budget peaked at 259-270 MiB with four, 238-246 MiB with two, and decoded
//    fewer chunks again, for 5% more CPU time in a `find`.
//  - Where the kernel offers transparent huge pages, buffers of a huge page (2 MiB) and
//    more do not come from the heap: each is mapped on its own in huge pages
//    (aligned_bytes.cc), goes back to the kernel when freed, and takes 2 page faults per
//    4 MiB instead of 1,024. The points above then concern the smaller buffers; kept
//    buffers still spare the kernel zeroing fresh memory.
// Measured on the benchmark image (BENCHMARKS.md): readahead 16 went from 310 to 285 MiB
// peak RSS at a 256 MiB budget, for about 3% throughput.
struct ChunkCache::Accounting {
  static constexpr uint64_t kTrimInterval = 16 << 20;
  static constexpr size_t kHeapSlack = 8 << 20;
  static constexpr uint64_t kMeasureInterval = 8 << 20;
  static constexpr size_t kRecycled = 2;

  std::atomic<uint64_t> live{0};
  std::atomic<uint64_t> peak{0};
  std::atomic<uint64_t> freed{0};        // decoded bytes freed so far
  std::atomic<uint64_t> decoded{0};      // decoded bytes alive now (live without reservations)
  std::atomic<uint64_t> decoded_sum{0};  // decoded bytes made so far
  std::atomic<uint64_t> encoded{0};      // fetched bytes waiting for or in their decode

  // Buffers kept for reuse, at most kRecycled.
  class Recycled {
   public:
    // A kept buffer with room for more than `size` bytes, or an empty one.
    AlignedBytes Take(size_t size) {
      std::lock_guard lock(mu_);
      for (AlignedBytes& buffer : buffers_) {
        if (buffer.capacity() > size) {
          std::swap(buffer, buffers_.back());
          AlignedBytes taken = std::move(buffers_.back());
          buffers_.pop_back();
          return taken;
        }
      }
      return {};
    }
    // Keeps `buffer`, or frees it when kRecycled are kept.
    void Keep(AlignedBytes&& buffer) {
      if (buffer.capacity() == 0) return;
      std::unique_lock lock(mu_);
      if (buffers_.size() < kRecycled) {
        buffers_.push_back(std::move(buffer));
        return;
      }
      lock.unlock();
      AlignedBytes().swap(buffer);
    }

   private:
    std::mutex mu_;
    std::vector<AlignedBytes> buffers_;  // guarded by mu_
  };
  Recycled decoded_buffers;  // of freed chunks (a decode writes one byte past the chunk's size)
  Recycled fetch_buffers;    // of fetched chunks, once decoded

  void Add(uint64_t n) {
    uint64_t now = live.fetch_add(n) + n;
    uint64_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
  void Sub(uint64_t n) { live.fetch_sub(n); }

  // A chunk of `n` bytes was decoded; true when that crossed a kMeasureInterval boundary.
  bool Decoded(uint64_t n) {
    decoded.fetch_add(n);
    uint64_t total = decoded_sum.fetch_add(n) + n;
    return total / kMeasureInterval != (total - n) / kMeasureInterval;
  }

  // Decoded bytes of a chunk were freed.
  void Freed(uint64_t n) {
    Sub(n);
    decoded.fetch_sub(n);
    uint64_t total = freed.fetch_add(n) + n;
    if (total / kTrimInterval != (total - n) / kTrimInterval && mallinfo2().fordblks > kHeapSlack) {
      malloc_trim(kHeapSlack);
    }
  }

  // Once per process, before the first pool thread exists.
  static void UseOneMallocArena() {
    static std::once_flag once;
    std::call_once(once, [] { mallopt(M_ARENA_MAX, 1); });
  }
};

namespace {

// Deletes decoded bytes and returns their reservation to the budget, whoever lets go last.
template <typename Accounting>
struct ReleaseChunk {
  std::shared_ptr<Accounting> accounting;
  uint64_t size;
  void operator()(const AlignedBytes* bytes) const {
    // Created non-const by the decode (RunDecode), so its buffer may be taken back.
    accounting->decoded_buffers.Keep(std::move(*const_cast<AlignedBytes*>(bytes)));
    delete bytes;
    accounting->Freed(size);
  }
};

// A PendingChunk or a ChunkHandle outside the cache refers to the chunk.
// REQUIRES the cache's mu_ held (entry.pin and entry.data change under it).
bool IsPinned(const ChunkEntry& entry) {
  return !entry.pin.expired() || (entry.data && entry.data.use_count() > 1);
}

Error AsError(const std::exception& e) {
  if (const auto* error = dynamic_cast<const Error*>(&e)) return *error;
  return Error(ErrorKind::kIo, e.what());
}

}  // namespace

ChunkHandle PendingChunk::Wait() const {
  ChunkEntry& entry = *pin_->entry;
  std::unique_lock lock(entry.done_mu);
  entry.done_cv.wait(lock, [&entry] { return entry.done; });
  // A fresh copy of the message: std::runtime_error shares its string by reference count
  // among copies, and waiters on other threads each get their own exception.
  if (entry.error) throw Error(entry.error->kind(), entry.error->what(), entry.error->system_errno());
  return entry.data;
}

bool PendingChunk::done() const {
  ChunkEntry& entry = *pin_->entry;
  std::lock_guard lock(entry.done_mu);
  return entry.done;
}

ChunkCache::ChunkCache(const ChunkCacheOptions& options)
    : budget_((Accounting::UseOneMallocArena(), options.budget)),
      bound_process_(options.bound_process),
      accounting_(std::make_shared<Accounting>()),
      decode_pool_(options.decode_threads == 0 ? ThreadPool::DefaultSize() : options.decode_threads),
      fetch_pool_(std::max<size_t>(1, options.fetch_threads)) {}

ChunkCache::~ChunkCache() {
  std::vector<EntryPtr> cancelled;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (JobQueue* queue : {&fetch_jobs_, &decode_jobs_}) {
      for (auto* jobs : {&queue->demand, &queue->ahead}) {
        for (EntryPtr& entry : *jobs) {
          if (entry->stage == ChunkStage::kFetchQueued || entry->stage == ChunkStage::kDecodeQueued) {
            entry->stage = ChunkStage::kDone;
            cancelled.push_back(std::move(entry));
          }
        }
        jobs->clear();
      }
    }
  }
  for (const EntryPtr& entry : cancelled) {
    Complete(entry, nullptr, Error(ErrorKind::kIo, "the chunk cache is shutting down"));
  }
  // The pools' destructors now wait for the fetches and decodes already running.
}

PendingChunk ChunkCache::Request(const ChunkKey& key, const ChunkSource& source) {
  return Lookup(key, source, Asker::kReader);
}

PendingChunk ChunkCache::Prefetch(const ChunkKey& key, const ChunkSource& source) {
  return Lookup(key, source, Asker::kReadAhead);
}

PendingChunk ChunkCache::PrefetchForWalk(const ChunkKey& key, const ChunkSource& source) {
  return Lookup(key, source, Asker::kWalk);
}

bool ChunkCache::IsResident(const ChunkKey& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key.digest);
  return it != entries_.end() && it->second->stage == ChunkStage::kDone;
}

PendingChunk ChunkCache::Pin(const EntryPtr& entry) {
  std::shared_ptr<ChunkPin> pin = entry->pin.lock();
  if (!pin) {
    pin = std::make_shared<ChunkPin>(ChunkPin{entry});
    entry->pin = pin;
  }
  return PendingChunk(std::move(pin));
}

PendingChunk ChunkCache::Lookup(const ChunkKey& key, const ChunkSource& source, Asker asker) {
  const bool prefetch = asker != Asker::kReader;
  std::vector<ChunkHandle> victims;  // evicted chunks' bytes
  EntryPtr entry;
  PendingChunk pending;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key.digest);
    if (it != entries_.end()) {
      entry = it->second;
      if (prefetch) return Pin(entry);
      ++counters_.hits;
      ++entry->uses;
      if (entry->segment != nullptr) {
        Touch(*entry);
      } else if (!entry->demanded) {
        // Someone now waits for a read-ahead that is still queued: let it overtake.
        entry->demanded = true;
        if (entry->stage == ChunkStage::kFetchQueued) {
          Enqueue(fetch_jobs_, entry);
          fetch_pool_.Submit([this] { RunFetch(); });
        } else if (entry->stage == ChunkStage::kDecodeQueued) {
          Enqueue(decode_jobs_, entry);
          decode_pool_.Submit([this] { RunDecode(); });
        }
      }
      return Pin(entry);
    }

    bool fits = MakeRoom(key.size, asker, victims);
    if (prefetch && !fits) {
      ++counters_.prefetch_refused;
      return PendingChunk();
    }
    // Free the evicted bytes before reserving, so the peak never counts both.
    victims.clear();
    entry = std::make_shared<ChunkEntry>(key, source);
    entry->demanded = !prefetch;
    entry->uses = prefetch ? 0 : 1;
    entry->sequence = next_sequence_++;
    accounting_->Add(key.size);  // the reservation; the decoded bytes' deleter returns it
    entries_.emplace(key.digest, entry);
    ++(prefetch ? counters_.prefetches : counters_.misses);
    Enqueue(fetch_jobs_, entry);
    pending = Pin(entry);
  }
  fetch_pool_.Submit([this] { RunFetch(); });
  return pending;
}

bool ChunkCache::MakeRoom(uint64_t incoming, Asker asker, std::vector<ChunkHandle>& victims) {
  // Chunks evicted by other threads but not yet freed still count: conservative.
  // Bounding the process, fetched bytes waiting for their decode count too: with 16
  // chunks read ahead they come and go by tens of MiB, too fast for measuring to follow.
  const uint64_t live = accounting_->live.load() + (bound_process_ ? accounting_->encoded.load() : 0);
  const uint64_t limit = this->limit();
  if (live + incoming <= limit) return true;
  // Choose first, evict after: read-ahead that would not fit anyway evicts nothing.
  std::vector<EntryPtr*> chosen;
  uint64_t freed = 0;
  for (std::list<EntryPtr>* segment : {&probation_, &protected_}) {
    if (asker == Asker::kReadAhead && segment == &protected_) break;
    for (auto it = segment->rbegin(); it != segment->rend() && live - freed + incoming > limit; ++it) {
      if (IsPinned(**it)) continue;  // evicting it would free nothing
      chosen.push_back(&*it);
      freed += (*it)->key.size;
    }
  }
  const bool fits = live - freed + incoming <= limit;
  if (asker != Asker::kReader && !fits) return false;
  for (EntryPtr* slot : chosen) {
    EntryPtr victim = *slot;
    Unlink(*victim);  // erases *slot from its list
    entries_.erase(victim->key.digest);
    ++counters_.evictions;
    // Take the bytes out of the entry: a worker may still hold the entry for a moment,
    // and nobody can ask for it any more (it is unpinned and unmapped).
    std::lock_guard done_lock(victim->done_mu);
    victims.push_back(std::move(victim->data));
  }
  return fits;
}

void ChunkCache::Unlink(ChunkEntry& entry) {
  (entry.segment == &protected_ ? protected_bytes_ : probation_bytes_) -= entry.key.size;
  entry.segment->erase(entry.position);
  entry.segment = nullptr;
}

void ChunkCache::Touch(ChunkEntry& entry) {
  std::list<EntryPtr>* target = entry.uses >= 2 ? &protected_ : entry.segment;
  if (target != entry.segment) {
    (entry.segment == &protected_ ? protected_bytes_ : probation_bytes_) -= entry.key.size;
    (target == &protected_ ? protected_bytes_ : probation_bytes_) += entry.key.size;
  }
  target->splice(target->begin(), *entry.segment, entry.position);
  entry.segment = target;
  BalanceSegments();
}

void ChunkCache::BalanceSegments() {
  const uint64_t protected_limit = limit() / 4 * 3;
  while (protected_bytes_ > protected_limit && !protected_.empty()) {
    ChunkEntry& oldest = *protected_.back();
    probation_.splice(probation_.begin(), protected_, oldest.position);
    oldest.segment = &probation_;
    protected_bytes_ -= oldest.key.size;
    probation_bytes_ += oldest.key.size;
  }
}

void ChunkCache::Enqueue(JobQueue& queue, const EntryPtr& entry) {
  if (entry->demanded) {
    queue.demand.push_back(entry);
    return;
  }
  auto later = std::upper_bound(queue.ahead.begin(), queue.ahead.end(), entry->sequence,
                                [](uint64_t sequence, const EntryPtr& e) { return sequence < e->sequence; });
  queue.ahead.insert(later, entry);
}

ChunkCache::EntryPtr ChunkCache::TakeJob(JobQueue& queue, ChunkStage from, ChunkStage to) {
  for (auto* jobs : {&queue.demand, &queue.ahead}) {
    while (!jobs->empty()) {
      EntryPtr entry = std::move(jobs->front());
      jobs->pop_front();
      if (entry->stage != from) continue;  // the other copy of a raised job ran already
      entry->stage = to;
      return entry;
    }
  }
  return nullptr;
}

void ChunkCache::RunFetch() {
  EntryPtr entry;
  {
    std::lock_guard lock(mu_);
    entry = TakeJob(fetch_jobs_, ChunkStage::kFetchQueued, ChunkStage::kFetching);
    if (!entry) return;
    if (!entry->demanded && entry->pin.expired()) {
      // Read-ahead whose reader has gone: skip the fetch.
      ++counters_.prefetch_dropped;
      entries_.erase(entry->key.digest);
      accounting_->Sub(entry->key.size);
      return;
    }
    ++counters_.fetches;
  }
  AlignedBytes encoded;
  try {
    AlignedBytes buffer = accounting_->fetch_buffers.Take(0);
    if (buffer.capacity() == 0) buffer = accounting_->decoded_buffers.Take(0);
    encoded = entry->source.store->FetchInto(entry->key.digest, std::move(buffer));
  } catch (const std::exception& e) {
    Complete(entry, nullptr, AsError(e));
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      accounting_->encoded.fetch_add(encoded.size());
      entry->encoded = std::move(encoded);
      entry->stage = ChunkStage::kDecodeQueued;
      Enqueue(decode_jobs_, entry);
      decode_pool_.Submit([this] { RunDecode(); });
      return;
    }
  }
  Complete(entry, nullptr, Error(ErrorKind::kIo, "the chunk cache is shutting down"));
}

void ChunkCache::RunDecode() {
  EntryPtr entry;
  AlignedBytes encoded;
  {
    std::lock_guard lock(mu_);
    entry = TakeJob(decode_jobs_, ChunkStage::kDecodeQueued, ChunkStage::kDecoding);
    if (!entry) return;
    encoded = std::move(entry->encoded);
    ++counters_.decodes;
  }
  const uint64_t encoded_size = encoded.size();
  ChunkHandle data;
  std::optional<Error> error;
  try {
    AlignedBytes recycled = accounting_->decoded_buffers.Take(entry->key.size);
    AlignedBytes plain =
        DecodeChunk(std::move(encoded), entry->key.digest, entry->key.size, entry->source.crypt, &recycled);
    // Let go of before publishing: the encoded copy when it did not become the result, the
    // recycled buffer when the result did not need it.
    accounting_->fetch_buffers.Keep(std::move(encoded));
    accounting_->decoded_buffers.Keep(std::move(recycled));
    data = ChunkHandle(new AlignedBytes(std::move(plain)), ReleaseChunk<Accounting>{accounting_, entry->key.size});
  } catch (const std::exception& e) {
    error = AsError(e);
  }
  accounting_->encoded.fetch_sub(encoded_size);
  if (!error && accounting_->Decoded(entry->key.size) && bound_process_) MeasureProcess();
  Complete(entry, std::move(data), std::move(error));
}

uint64_t ChunkCache::limit() const {
  if (!bound_process_) return budget_;
  // Freed chunk bytes go back to the kernel only at the next trim, so up to that much may
  // be resident on top of what was last measured.
  const uint64_t floor = budget_ / 4;
  const uint64_t others = others_.load() + Accounting::kTrimInterval + Accounting::kHeapSlack;
  return others + floor >= budget_ ? floor : budget_ - others;
}

void ChunkCache::MeasureProcess() {
  // Measured against the chunk bytes that exist (decoded, and fetched ones awaiting their
  // decode), not live ones: reservations of fetches in flight are not resident yet, and
  // counting them would hide as much of the rest of the process.
  std::optional<uint64_t> resident = ResidentBytes();
  if (!resident) return;
  const uint64_t chunks = accounting_->decoded.load() + accounting_->encoded.load();
  const uint64_t measured = *resident > chunks ? *resident - chunks : 0;
  // Rise at once, fall an eighth of the way per measurement: one measurement sees the
  // rest of the process at one moment, between bursts of fetch buffers and trims.
  const uint64_t before = others_.load();
  others_.store(measured >= before ? measured : before - (before - measured) / 8);
}

void ChunkCache::Complete(const EntryPtr& entry, ChunkHandle data, std::optional<Error> error) {
  std::vector<ChunkHandle> victims;  // evicted chunks' bytes, freed after mu_
  {
    std::lock_guard lock(mu_);
    const bool failed = error.has_value();
    {
      // Published under both locks: waiters read it under done_mu, eviction under mu_.
      // Linking (or unmapping) happens in the same critical section, so whoever sees the
      // chunk done also finds it resident (or gone, after a failure).
      std::lock_guard done_lock(entry->done_mu);
      entry->done = true;
      entry->data = std::move(data);
      entry->error = std::move(error);
    }
    entry->stage = ChunkStage::kDone;
    auto it = entries_.find(entry->key.digest);
    const bool mapped = it != entries_.end() && it->second == entry;
    if (failed) {
      ++counters_.failures;
      if (mapped) entries_.erase(it);  // errors are not cached: the next request retries
      accounting_->Sub(entry->key.size);
    } else if (mapped) {
      std::list<EntryPtr>& segment = entry->uses >= 2 ? protected_ : probation_;
      segment.push_front(entry);
      entry->segment = &segment;
      entry->position = segment.begin();
      (&segment == &protected_ ? protected_bytes_ : probation_bytes_) += entry->key.size;
      BalanceSegments();
      MakeRoom(0, Asker::kReader, victims);  // demand requests may have overshot the budget
    }
  }
  entry->done_cv.notify_all();
}

ChunkCacheStats ChunkCache::stats() const {
  std::lock_guard lock(mu_);
  ChunkCacheStats s = counters_;
  s.budget = budget_;
  s.limit = limit();
  s.resident_bytes = probation_bytes_ + protected_bytes_;
  s.resident_chunks = probation_.size() + protected_.size();
  s.live_bytes = accounting_->live.load();
  s.peak_live_bytes = accounting_->peak.load();
  return s;
}

}  // namespace cairn
