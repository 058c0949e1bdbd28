#include "core/read/image_reader.h"

#include "core/format/blob.h"

namespace cairn {

namespace {

Digest ZeroChunkDigest(uint64_t length, const CryptConfig* crypt) {
  return ChunkDigestOf(Bytes(static_cast<size_t>(length), 0), crypt);
}

}  // namespace

ImageReader::ImageReader(FixedIndex index, ChunkCache& cache, ChunkSource source, std::string description,
                         const ReadOptions& options)
    : IndexReader(cache, source, std::move(description), options),
      index_(std::move(index)),
      zero_digest_(ZeroChunkDigest(index_.chunk_size(), source.crypt)),
      zero_tail_digest_(ZeroChunkDigest(index_.chunk_length(index_.chunk_count() - 1), source.crypt)) {}

bool ImageReader::IsZeroChunk(size_t i) const {
  const Digest& digest = index_.digest(i);
  return digest == (i + 1 == index_.chunk_count() ? zero_tail_digest_ : zero_digest_);
}

std::unique_ptr<ImageReader> ImageReader::Open(const SnapshotReader& snapshot, std::string_view filename,
                                               ChunkCache& cache, const ReadOptions& options,
                                               std::shared_ptr<const ChunkStore> store) {
  FixedIndex index = snapshot.OpenFixedIndex(filename);
  ChunkSource source = ArchiveChunkSource(snapshot, filename, std::move(store));
  return std::make_unique<ImageReader>(std::move(index), cache, std::move(source), snapshot.Describe(filename),
                                       options);
}

}  // namespace cairn
