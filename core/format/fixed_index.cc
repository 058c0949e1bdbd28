#include "core/format/fixed_index.h"

#include <bit>
#include <cstring>
#include <string>

#include "core/util/error.h"

namespace cairn {

static_assert(sizeof(Digest) == 32, "digest arrays are read and hashed as raw bytes");

FixedIndex FixedIndex::Parse(ByteView file) {
  FixedIndex index;
  index.header_ = ParseIndexHeader(file, kFixedIndexMagic, "fixed index");
  index.size_ = LoadLE<uint64_t>(file.data() + kFixedIndexSizeOffset);
  index.chunk_size_ = LoadLE<uint64_t>(file.data() + kFixedIndexChunkSizeOffset);

  const uint64_t chunk_size = index.chunk_size_;
  if (!IsValidFixedChunkSize(chunk_size)) {
    throw Error(ErrorKind::kCorrupt, "fixed index chunk size " + std::to_string(chunk_size) +
                                         " is not a power of two between 1 and 16777216");
  }
  if (index.size_ == 0) throw Error(ErrorKind::kCorrupt, "fixed index has size 0");
  index.chunk_shift_ = static_cast<unsigned>(std::countr_zero(chunk_size));

  // Compare counts rather than byte lengths: 32·count can overflow for a hostile size.
  const uint64_t count = (index.size_ >> index.chunk_shift_) + ((index.size_ & (chunk_size - 1)) != 0);
  const size_t body = file.size() - kIndexHeaderSize;
  if (body % sizeof(Digest) != 0 || body / sizeof(Digest) != count) {
    throw Error(ErrorKind::kCorrupt, "fixed index is " + std::to_string(file.size()) + " bytes, but size " +
                                         std::to_string(index.size_) + " at chunk size " +
                                         std::to_string(chunk_size) + " needs " + std::to_string(count) +
                                         " digests (4096 + 32 * " + std::to_string(count) + " bytes)");
  }

  index.digests_.resize(static_cast<size_t>(count));
  std::memcpy(index.digests_.data(), file.data() + kIndexHeaderSize, body);
  CheckIndexCsum(index.header_.csum, ComputeCsum(index.digests_), "fixed index");
  return index;
}

FixedIndex FixedIndex::Open(const std::filesystem::path& path) {
  return OpenIndexFile<FixedIndex>(path);
}

Digest FixedIndex::ComputeCsum(std::span<const Digest> digests) {
  return Sha256(ByteView(reinterpret_cast<const uint8_t*>(digests.data()), digests.size_bytes()));
}

uint64_t FixedIndex::chunk_length(size_t i) const {
  const uint64_t offset = chunk_offset(i);
  return size_ - offset < chunk_size_ ? size_ - offset : chunk_size_;
}

size_t FixedIndex::ChunkIndexAt(uint64_t offset) const {
  if (offset >= size_) return digests_.size();
  return static_cast<size_t>(offset >> chunk_shift_);
}

}  // namespace cairn
