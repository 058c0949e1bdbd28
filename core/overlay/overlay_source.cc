#include "core/overlay/overlay_source.h"

namespace cairn {

void OverlaySource::Write(uint64_t offset, std::span<const uint8_t> data, bool fua) {
  overlay_->Write(*base_, offset, data);
  if (fua) overlay_->Flush();
}

void OverlaySource::WriteZeroes(uint64_t offset, uint64_t length, bool may_punch, bool fua) {
  overlay_->WriteZeroes(*base_, offset, length, may_punch);
  if (fua) overlay_->Flush();
}

void OverlaySource::Trim(uint64_t offset, uint64_t length, bool fua) {
  // Trimmed whole blocks become holes; partial ones are zeroed, so a trimmed range always
  // reads as zeros (the protocol would allow anything).
  WriteZeroes(offset, length, /*may_punch=*/true, fua);
}

}  // namespace cairn
