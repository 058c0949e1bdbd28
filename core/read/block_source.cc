#include "core/read/block_source.h"

#include <vector>

namespace cairn {

ByteView SharedZeros() {
  static const std::vector<uint8_t> zeros(1 << 20);
  return zeros;
}

std::vector<SharedBytes> BlockSource::ReadShared(uint64_t offset, size_t length) {
  std::shared_ptr<uint8_t[]> buffer = std::make_shared_for_overwrite<uint8_t[]>(length);
  size_t n = Read(offset, std::span<uint8_t>(buffer.get(), length));
  if (n == 0) return {};
  return {{buffer, ByteView(buffer.get(), n)}};
}

}  // namespace cairn
