// The narrow interface every consumer of image bytes uses (NBD, FUSE files, cat, restore):
// a size, positioned reads and which ranges are known to be zero. Implemented by the index
// readers; layers such as a partition slice or a copy-on-write overlay stack on top of it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace cairn {

// A run of bytes that is either known to be all zeros (served without I/O) or data.
struct Extent {
  uint64_t offset;
  uint64_t length;
  bool zero;

  bool operator==(const Extent&) const = default;
};

class BlockSource {
 public:
  virtual ~BlockSource() = default;

  // Total size in bytes.
  virtual uint64_t size() const = 0;

  // Reads into `out` starting at `offset`; returns the number of bytes read, which is
  // out.size() except at the end (reads past the end are clipped, 0 at or beyond it).
  // Thread-safe. Throws Error; nothing is returned for a read that fails in part.
  virtual size_t Read(uint64_t offset, std::span<uint8_t> out) = 0;

  // The extents covering [offset, offset + length) clipped to size(), in order, adjacent
  // extents of the same kind merged. "zero" means known zero; data extents may hold zeros.
  virtual std::vector<Extent> Extents(uint64_t offset, uint64_t length) const = 0;
};

}  // namespace cairn
