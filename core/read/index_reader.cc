#include "core/read/index_reader.h"

#include <algorithm>
#include <cstring>

#include "core/util/error.h"
#include "core/util/hex.h"

namespace cairn {

namespace {

// Chunks one read requests from the cache before waiting for the first: a large read is
// fetched and decoded in parallel without pinning an unbounded number of chunks.
constexpr size_t kMaxChunksInFlightPerRead = 8;

}  // namespace

ChunkSource ArchiveChunkSource(const SnapshotReader& snapshot, std::string_view filename,
                               std::shared_ptr<const ChunkStore> store) {
  const ManifestFile* entry = snapshot.manifest().Find(filename);
  if (entry == nullptr)
    throw Error(ErrorKind::kNotFound, snapshot.Describe(filename) + ": not in the manifest");
  return {store ? std::move(store) : snapshot.datastore().chunk_store(), snapshot.CryptFor(*entry)};
}

IndexReader::IndexReader(ChunkCache& cache, ChunkSource source, std::string description,
                         const ReadOptions& options)
    : cache_(cache),
      source_(std::move(source)),
      description_(std::move(description)),
      read_ahead_(*this, options.readahead) {}

PendingChunk IndexReader::PrefetchChunk(size_t i) const {
  return cache_.Prefetch(KeyOf(i), source_);
}

PendingChunk IndexReader::PrefetchChunkForWalk(size_t i) const { return cache_.PrefetchForWalk(KeyOf(i), source_); }

ChunkHandle IndexReader::Await(size_t i, const PendingChunk& pending, bool was_read_ahead) const {
  try {
    try {
      return pending.Wait();
    } catch (const Error&) {
      if (!was_read_ahead) throw;
    }
    // A read-ahead failed (perhaps transiently, before anyone needed it): now that the
    // range is read, ask again and let that answer count.
    return cache_.Get(KeyOf(i), source_);
  } catch (const Error& e) {
    throw e.WithContext(description_ + ": offset " + std::to_string(chunk_offset(i)) + ", chunk " +
                        std::to_string(i) + " " + ToHex(chunk_digest(i)));
  }
}

template <typename Visit>
size_t IndexReader::ForEachPiece(uint64_t offset, size_t length, Visit visit) {
  const uint64_t total = size();
  if (offset >= total || length == 0) return 0;
  const uint64_t end = offset + std::min<uint64_t>(length, total - offset);
  const size_t first = ChunkIndexAt(offset);
  const size_t last = ChunkIndexAt(end - 1);
  uint64_t stream = 0;
  std::vector<ReadAhead::Held> held = read_ahead_.OnRead(offset, end, first, last, &stream);
  std::vector<bool> from_window(held.size());
  for (size_t k = 0; k < held.size(); ++k) from_window[k] = static_cast<bool>(held[k].pending);

  size_t requested = 0;  // held[0, requested) have what they need, or are zero
  ChunkHandle last_data;
  for (size_t k = 0; k < held.size(); ++k) {
    for (; requested < std::min(held.size(), k + kMaxChunksInFlightPerRead); ++requested) {
      ReadAhead::Held& h = held[requested];
      size_t i = first + requested;
      if (!h.ready && !h.pending && !IsZeroChunk(i)) h.pending = cache_.Request(KeyOf(i), source_);
    }
    const size_t i = first + k;
    const uint64_t chunk_start = chunk_offset(i);
    const uint64_t from = std::max(offset, chunk_start);
    const uint64_t to = std::min(end, chunk_start + chunk_length(i));
    if (IsZeroChunk(i)) {
      visit(ChunkHandle(), ByteView(static_cast<const uint8_t*>(nullptr), to - from));
      continue;
    }
    ChunkHandle data = held[k].ready ? held[k].ready : Await(i, held[k].pending, from_window[k]);
    held[k] = {};  // unpinned once the visitor is done with it
    visit(data, ByteView(*data).subspan(from - chunk_start, to - from));
    if (i == last) last_data = std::move(data);
  }
  if (last_data) read_ahead_.Remember(stream, last, last_data);
  return static_cast<size_t>(end - offset);
}

size_t IndexReader::Read(uint64_t offset, std::span<uint8_t> out) {
  uint8_t* dest = out.data();
  return ForEachPiece(offset, out.size(), [&](const ChunkHandle& chunk, ByteView bytes) {
    if (chunk) {
      std::memcpy(dest, bytes.data(), bytes.size());
    } else {
      std::memset(dest, 0, bytes.size());
    }
    dest += bytes.size();
  });
}

std::vector<SharedBytes> IndexReader::ReadShared(uint64_t offset, size_t length) {
  std::vector<SharedBytes> pieces;
  ForEachPiece(offset, length, [&](const ChunkHandle& chunk, ByteView bytes) { pieces.push_back({chunk, bytes}); });
  return pieces;
}

bool IndexReader::IsReadReady(uint64_t offset, uint64_t length) const {
  const uint64_t total = size();
  if (offset >= total || length == 0) return true;
  const uint64_t end = offset + std::min(length, total - offset);
  for (size_t i = ChunkIndexAt(offset); i < chunk_count() && chunk_offset(i) < end; ++i) {
    if (!IsZeroChunk(i) && !cache_.IsResident(KeyOf(i))) return false;
  }
  return true;
}

std::vector<Extent> IndexReader::Extents(uint64_t offset, uint64_t length) const {
  std::vector<Extent> extents;
  const uint64_t total = size();
  if (offset >= total || length == 0) return extents;
  const uint64_t end = offset + std::min(length, total - offset);
  for (size_t i = ChunkIndexAt(offset); i < chunk_count() && chunk_offset(i) < end; ++i) {
    const uint64_t from = std::max(offset, chunk_offset(i));
    const uint64_t to = std::min(end, chunk_offset(i) + chunk_length(i));
    const bool zero = IsZeroChunk(i);
    if (!extents.empty() && extents.back().zero == zero) {
      extents.back().length += to - from;
    } else {
      extents.push_back({from, to - from, zero});
    }
  }
  return extents;
}

}  // namespace cairn
