#include "core/overlay/allocation_map.h"

#include <algorithm>
#include <cstring>

#include "core/crypto/sha256.h"
#include "core/overlay/durable_file.h"
#include "core/util/bytes.h"
#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {
namespace {

constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'O', 'V', 'M'};
constexpr uint32_t kMapVersion = 1;
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8;

}  // namespace

AllocationMap::AllocationMap(uint64_t size, uint32_t granularity)
    : size_(size),
      granularity_(granularity),
      states_((size + granularity - 1) / granularity, BlockState::kBase) {}

uint64_t AllocationMap::block_end(uint64_t block) const {
  return std::min(size_, (block + 1) * uint64_t{granularity_});
}

AllocationMap AllocationMap::Load(const std::filesystem::path& path, uint64_t size, uint32_t granularity) {
  AllocationMap map(size, granularity);
  const size_t expected = kHeaderSize + map.states_.size() + 32;
  Bytes file = ReadWholeFile(path, expected + 1);
  const std::string what = "overlay map " + path.string();
  if (file.size() != expected || std::memcmp(file.data(), kMagic, 8) != 0) {
    throw Error(ErrorKind::kCorrupt, what + ": not a map for an image of " + std::to_string(size) + " bytes");
  }
  Digest sum = Sha256(ByteView(file.data(), file.size() - 32));
  if (!std::equal(sum.begin(), sum.end(), file.end() - 32))
    throw Error(ErrorKind::kCorrupt, what + ": checksum mismatch");
  if (LoadLE<uint32_t>(file.data() + 8) != kMapVersion)
    throw Error(ErrorKind::kUnsupported, what + ": unknown version");
  if (LoadLE<uint32_t>(file.data() + 12) != granularity || LoadLE<uint64_t>(file.data() + 16) != size) {
    throw Error(ErrorKind::kInvalidInput, what + ": made for another image size or granularity");
  }
  for (size_t i = 0; i < map.states_.size(); ++i) {
    uint8_t s = file[kHeaderSize + i];
    if (s > static_cast<uint8_t>(BlockState::kZero))
      throw Error(ErrorKind::kCorrupt, what + ": bad block state");
    map.states_[i] = static_cast<BlockState>(s);
  }
  return map;
}

void AllocationMap::SaveDurably(const std::filesystem::path& path) const {
  Bytes out(kMagic, kMagic + 8);
  out.reserve(kHeaderSize + states_.size() + 32);
  AppendLE<uint32_t>(out, kMapVersion);
  AppendLE<uint32_t>(out, granularity_);
  AppendLE<uint64_t>(out, size_);
  for (BlockState s : states_) out.push_back(static_cast<uint8_t>(s));
  Digest sum = Sha256(out);
  out.insert(out.end(), sum.begin(), sum.end());

  ReplaceFileDurably(path, out);
}

}  // namespace cairn
