// A BlockSource over bytes the caller keeps alive: the fuzzable entry points of the formats
// that live inside images (partition tables, filesystems) and their unit tests use it.
#pragma once

#include <algorithm>
#include <cstring>

#include "core/read/block_source.h"
#include "core/util/bytes.h"

namespace cairn {

class MemorySource final : public BlockSource {
 public:
  // `data` must outlive the source.
  explicit MemorySource(ByteView data) : data_(data) {}

  uint64_t size() const override { return data_.size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= data_.size()) return 0;
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), data_.size() - offset));
    std::memcpy(out.data(), data_.data() + offset, n);
    return n;
  }
  // Everything is data: nothing is known to be zero without looking.
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override {
    if (offset >= data_.size()) return {};
    return {Extent{offset, std::min<uint64_t>(length, data_.size() - offset), false}};
  }

 private:
  const ByteView data_;
};

}  // namespace cairn
