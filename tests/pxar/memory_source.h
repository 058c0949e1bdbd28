// A BlockSource over bytes in memory, for pxar tests.
#pragma once

#include <algorithm>
#include <vector>

#include "core/read/block_source.h"
#include "core/util/bytes.h"

namespace cairn::test {

class MemorySource : public BlockSource {
 public:
  explicit MemorySource(Bytes data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= data_.size()) return 0;
    size_t n = std::min<size_t>(out.size(), data_.size() - offset);
    std::copy_n(data_.begin() + static_cast<ptrdiff_t>(offset), n, out.begin());
    return n;
  }
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override {
    if (offset >= data_.size()) return {};
    return {Extent{offset, std::min<uint64_t>(length, data_.size() - offset), false}};
  }

 private:
  Bytes data_;
};

}  // namespace cairn::test
