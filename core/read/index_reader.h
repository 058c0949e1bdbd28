// Reading any byte range of an archive stored as a chunk index (DESIGN.md "core/read"): the
// reader maps a range to chunks, takes them from the shared ChunkCache (or from its
// read-ahead window) and copies the requested bytes. The fixed-index ImageReader and the
// dynamic-index StreamReader differ only in how they lay out chunks, which they provide
// through the protected interface below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/cache/chunk_cache.h"
#include "core/read/block_source.h"
#include "core/read/read_ahead.h"
#include "core/store/snapshot_reader.h"

namespace cairn {

struct ReadOptions {
  size_t readahead = kDefaultReadahead;  // chunks fetched ahead of a sequential stream; 0: none
};

// The chunk store and key of archive `filename` of `snapshot`: the snapshot's datastore's
// store unless `store` is given (e.g. a DelayedChunkStore for benchmarks). Throws kCrypto
// when the archive is encrypted and the snapshot reader has no key.
ChunkSource ArchiveChunkSource(const SnapshotReader& snapshot, std::string_view filename,
                               std::shared_ptr<const ChunkStore> store = nullptr);

class IndexReader : public BlockSource, private ReadAhead::Chunks {
 public:
  ~IndexReader() override = default;
  IndexReader(const IndexReader&) = delete;
  IndexReader& operator=(const IndexReader&) = delete;

  // Thread-safe. Zero chunks are filled without I/O. A chunk that cannot be fetched or
  // decoded fails the read with its Error kind and a message naming the archive
  // (description()), the chunk's offset, index and digest; reads not touching that chunk
  // are unaffected, and a read-ahead that failed is retried when its range is read.
  size_t Read(uint64_t offset, std::span<uint8_t> out) override;
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override;
  // Pieces of the cached chunks themselves (zero chunks as null-owner pieces).
  std::vector<SharedBytes> ReadShared(uint64_t offset, size_t length) override;
  // Every non-zero chunk of the range is decoded in the cache.
  bool IsReadReady(uint64_t offset, uint64_t length) const override;

  // "<datastore>/<snapshot path>/<archive>" or whatever the creator passed.
  const std::string& description() const { return description_; }
  // Another reader of the same archive with read-ahead of its own (`options`), for a
  // second sequential reader whose streams should not mix with this one's. The index is
  // copied from memory, not read again.
  virtual std::unique_ptr<IndexReader> Reopen(const ReadOptions& options) const = 0;

  // The chunk layout.
  size_t chunk_count() const override = 0;
  virtual uint64_t chunk_offset(size_t i) const = 0;
  virtual uint64_t chunk_length(size_t i) const = 0;
  virtual const Digest& chunk_digest(size_t i) const = 0;
  // The chunk holding byte `offset`; chunk_count() at or beyond the end.
  virtual size_t ChunkIndexAt(uint64_t offset) const = 0;
  // True when chunk i is known to be all zeros without reading it.
  bool IsZeroChunk(size_t i) const override = 0;
  // Read-ahead the caller steers (it knows what it will read next): asks the cache to fetch
  // chunk i at read-ahead priority (ChunkCache::Prefetch). The result pins the chunk while
  // kept; it is empty when the cache refused.
  PendingChunk PrefetchChunk(size_t i) const override;
  // As PrefetchChunk, for a walk that reads chunk i next for sure (ChunkCache::PrefetchForWalk).
  PendingChunk PrefetchChunkForWalk(size_t i) const;

 protected:
  // `cache` must outlive the reader; see ChunkSource for `source`.
  IndexReader(ChunkCache& cache, ChunkSource source, std::string description, const ReadOptions& options);
  ChunkCache& cache() const { return cache_; }
  const ChunkSource& source() const { return source_; }

 private:
  ChunkKey KeyOf(size_t i) const { return {chunk_digest(i), static_cast<size_t>(chunk_length(i))}; }
  // Waits for chunk i; retries once on demand when `pending` was a read-ahead. Adds the
  // archive, offset and digest to errors.
  ChunkHandle Await(size_t i, const PendingChunk& pending, bool was_read_ahead) const;
  // The read of [offset, offset + length) clipped to the end: calls visit(chunk, bytes) for
  // each piece in order (a null chunk: bytes.size() zeros) and returns the byte count.
  template <typename Visit>
  size_t ForEachPiece(uint64_t offset, size_t length, Visit visit);

  ChunkCache& cache_;
  const ChunkSource source_;
  const std::string description_;
  ReadAhead read_ahead_;  // per-stream sequential detection and windows
};

// An IndexReader that owns its index (FixedIndex or DynamicIndex: they have the same
// accessors), and the Open() of its subclass `Reader`.
template <typename Index, typename Reader>
class IndexReaderOf : public IndexReader {
 public:
  // Opens archive `filename` of `snapshot` as a Reader with ArchiveChunkSource(snapshot,
  // filename, store). The snapshot's key must outlive the cache. Throws Error like
  // SnapshotReader::OpenFixedIndex / OpenDynamicIndex and ArchiveChunkSource.
  static std::unique_ptr<Reader> Open(const SnapshotReader& snapshot, std::string_view filename,
                                      ChunkCache& cache, const ReadOptions& options = {},
                                      std::shared_ptr<const ChunkStore> store = nullptr) {
    Index index = [&] {
      if constexpr (std::is_same_v<Index, FixedIndex>)
        return snapshot.OpenFixedIndex(filename);
      else
        return snapshot.OpenDynamicIndex(filename);
    }();
    return std::make_unique<Reader>(std::move(index), cache,
                                    ArchiveChunkSource(snapshot, filename, std::move(store)),
                                    snapshot.Describe(filename), options);
  }

  const Index& index() const { return index_; }
  std::unique_ptr<IndexReader> Reopen(const ReadOptions& options) const override {
    return std::make_unique<Reader>(index_, cache(), source(), description(), options);
  }

  uint64_t size() const override { return index_.size(); }
  size_t chunk_count() const override { return index_.chunk_count(); }
  uint64_t chunk_offset(size_t i) const override { return index_.chunk_offset(i); }
  uint64_t chunk_length(size_t i) const override { return index_.chunk_length(i); }
  const Digest& chunk_digest(size_t i) const override { return index_.digest(i); }
  size_t ChunkIndexAt(uint64_t offset) const override { return index_.ChunkIndexAt(offset); }

 protected:
  IndexReaderOf(Index index, ChunkCache& cache, ChunkSource source, std::string description,
                const ReadOptions& options)
      : IndexReader(cache, std::move(source), std::move(description), options), index_(std::move(index)) {}

 private:
  const Index index_;
};

}  // namespace cairn
