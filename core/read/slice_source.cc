#include "core/read/slice_source.h"

#include <algorithm>
#include <string>

#include "core/util/error.h"

namespace cairn {

SliceSource::SliceSource(std::shared_ptr<BlockSource> base, uint64_t offset, uint64_t length)
    : base_(std::move(base)), offset_(offset), length_(length) {
  uint64_t total = base_->size();
  if (offset > total || length > total - offset) {
    throw Error(ErrorKind::kInvalidInput, "slice [" + std::to_string(offset) + ", +" +
                                              std::to_string(length) + ") exceeds a source of " +
                                              std::to_string(total) + " bytes");
  }
}

size_t SliceSource::Read(uint64_t offset, std::span<uint8_t> out) {
  if (offset >= length_) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), length_ - offset));
  return base_->Read(offset_ + offset, out.first(n));
}

std::vector<SharedBytes> SliceSource::ReadShared(uint64_t offset, size_t length) {
  if (offset >= length_) return {};
  return base_->ReadShared(offset_ + offset, static_cast<size_t>(std::min<uint64_t>(length, length_ - offset)));
}

bool SliceSource::IsReadReady(uint64_t offset, uint64_t length) const {
  if (offset >= length_) return true;
  return base_->IsReadReady(offset_ + offset, std::min(length, length_ - offset));
}

std::vector<Extent> SliceSource::Extents(uint64_t offset, uint64_t length) const {
  if (offset >= length_) return {};
  length = std::min(length, length_ - offset);
  std::vector<Extent> extents = base_->Extents(offset_ + offset, length);
  for (Extent& extent : extents) extent.offset -= offset_;
  return extents;
}

}  // namespace cairn
