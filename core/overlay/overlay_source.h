// One reader's view of an image through its copy-on-write overlay: the BlockSource layer
// the NBD server (and `cairn overlay export`) reads and writes. The overlay is shared by
// every source of the image; the base reader is this source's own.
#pragma once

#include <memory>

#include "core/overlay/overlay.h"
#include "core/read/block_source.h"

namespace cairn {

class OverlaySource final : public WritableBlockSource {
 public:
  // REQUIRES: base->size() == overlay->info().size.
  OverlaySource(std::shared_ptr<Overlay> overlay, std::unique_ptr<BlockSource> base)
      : overlay_(std::move(overlay)), base_(std::move(base)) {}

  uint64_t size() const override { return base_->size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    return overlay_->Read(*base_, offset, out);
  }
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override {
    return overlay_->Extents(*base_, offset, length);
  }
  void Write(uint64_t offset, std::span<const uint8_t> data, bool fua) override;
  void WriteZeroes(uint64_t offset, uint64_t length, bool may_punch, bool fua) override;
  void Trim(uint64_t offset, uint64_t length, bool fua) override;
  void Flush() override { overlay_->Flush(); }

 private:
  std::shared_ptr<Overlay> overlay_;
  std::unique_ptr<BlockSource> base_;
};

}  // namespace cairn
