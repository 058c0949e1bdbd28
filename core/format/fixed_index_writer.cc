#include "core/format/fixed_index_writer.h"

#include <string>

#include "core/format/fixed_index.h"
#include "core/util/error.h"

namespace cairn {

Bytes SerializeFixedIndex(const IndexUuid& uuid, int64_t ctime, uint64_t size, uint64_t chunk_size,
                          std::span<const Digest> digests) {
  if (size == 0) throw Error(ErrorKind::kInvalidInput, "a fixed index cannot describe an empty image");
  if (!IsValidFixedChunkSize(chunk_size)) {
    throw Error(ErrorKind::kInvalidInput, "fixed index chunk size " + std::to_string(chunk_size) +
                                              " is not a power of two between 1 and 16777216");
  }
  const uint64_t count = size / chunk_size + (size % chunk_size != 0);
  if (digests.size() != count) {
    throw Error(ErrorKind::kInvalidInput, "an image of " + std::to_string(size) + " bytes at chunk size " +
                                              std::to_string(chunk_size) + " has " + std::to_string(count) +
                                              " chunks, but " + std::to_string(digests.size()) +
                                              " digests were given");
  }

  Bytes out = NewIndexHeader(kFixedIndexMagic, {uuid, ctime, FixedIndex::ComputeCsum(digests)});
  StoreLE<uint64_t>(out.data() + kFixedIndexSizeOffset, size);
  StoreLE<uint64_t>(out.data() + kFixedIndexChunkSizeOffset, chunk_size);
  const auto* body = reinterpret_cast<const uint8_t*>(digests.data());
  out.insert(out.end(), body, body + digests.size_bytes());
  return out;
}

}  // namespace cairn
