// A window [offset, offset + length) of another BlockSource seen as a source of its own: a
// partition of a disk image (DESIGN.md "a partition slice of it"). Reads and extents are
// clipped to the window and translated; nothing is copied or cached here.
#pragma once

#include <memory>

#include "core/read/block_source.h"

namespace cairn {

class SliceSource final : public BlockSource {
 public:
  // REQUIRES: offset + length <= base->size() (checked: throws Error kInvalidInput).
  SliceSource(std::shared_ptr<BlockSource> base, uint64_t offset, uint64_t length);

  uint64_t size() const override { return length_; }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override;
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override;
  std::vector<SharedBytes> ReadShared(uint64_t offset, size_t length) override;
  bool IsReadReady(uint64_t offset, uint64_t length) const override;

  // Where the window starts in the base source.
  uint64_t base_offset() const { return offset_; }

 private:
  const std::shared_ptr<BlockSource> base_;
  const uint64_t offset_;  // of the window in base_
  const uint64_t length_;
};

}  // namespace cairn
