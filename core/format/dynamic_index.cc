#include "core/format/dynamic_index.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/util/error.h"

namespace cairn {

DynamicIndex DynamicIndex::Parse(ByteView file) {
  DynamicIndex index;
  index.header_ = ParseIndexHeader(file, kDynamicIndexMagic, "dynamic index");
  const ByteView body = file.subspan(kIndexHeaderSize);
  if (body.size() % kDynamicIndexEntrySize != 0) {
    throw Error(ErrorKind::kCorrupt, "dynamic index is " + std::to_string(file.size()) +
                                         " bytes; its entry area of " + std::to_string(body.size()) +
                                         " bytes is not a multiple of 40");
  }
  // Check the csum first: on a damaged file it is the most telling message.
  CheckIndexCsum(index.header_.csum, Sha256(body), "dynamic index");

  const size_t count = body.size() / kDynamicIndexEntrySize;
  index.ends_.resize(count);
  index.digests_.resize(count);
  uint64_t previous = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* entry = body.data() + i * kDynamicIndexEntrySize;
    const uint64_t end = LoadLE<uint64_t>(entry);
    if (end <= previous) {
      throw Error(ErrorKind::kCorrupt, "dynamic index entry " + std::to_string(i) + " ends at " +
                                           std::to_string(end) + ", not after the previous end " +
                                           std::to_string(previous));
    }
    index.ends_[i] = end;
    std::memcpy(index.digests_[i].data(), entry + 8, sizeof(Digest));
    previous = end;
  }
  return index;
}

DynamicIndex DynamicIndex::Open(const std::filesystem::path& path) {
  return OpenIndexFile<DynamicIndex>(path);
}

size_t DynamicIndex::ChunkIndexAt(uint64_t offset) const {
  // The first chunk whose end lies beyond offset; ends_.size() when none does.
  return static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), offset) - ends_.begin());
}

}  // namespace cairn
