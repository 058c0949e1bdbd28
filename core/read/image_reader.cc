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
    : IndexReaderOf(std::move(index), cache, source, std::move(description), options),
      zero_digest_(ZeroChunkDigest(this->index().chunk_size(), source.crypt)),
      zero_tail_digest_(ZeroChunkDigest(chunk_length(chunk_count() - 1), source.crypt)) {}

bool ImageReader::IsZeroChunk(size_t i) const {
  return chunk_digest(i) == (i + 1 == chunk_count() ? zero_tail_digest_ : zero_digest_);
}

}  // namespace cairn
