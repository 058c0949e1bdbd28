// Which blocks of a copy-on-write overlay hold their own bytes (DESIGN.md "overlay"). The
// image is cut into blocks of `granularity` bytes (the last one may be shorter); each block
// reads from the base image, from the overlay's data file, or as zeros (trimmed or zeroed).
//
// On disk (`<name>.map`): "CAIRNOVM", u32 version 1, u32 granularity, u64 image size, one
// state byte per block, then the SHA-256 of everything before it; all integers little
// endian. The file is only ever replaced whole (SaveDurably), so a crash leaves the old map
// or the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace cairn {

enum class BlockState : uint8_t {
  kBase = 0,  // unchanged: read the base image
  kData = 1,  // the overlay's data file holds the block
  kZero = 2,  // reads as zeros; the data file has a hole there
};

class AllocationMap {
 public:
  // A map of `size` bytes in which every block reads from the base.
  // REQUIRES: granularity is a power of two.
  AllocationMap(uint64_t size, uint32_t granularity);

  // Loads a saved map; throws Error kCorrupt when the file is damaged and kInvalidInput when
  // it describes another size or granularity.
  static AllocationMap Load(const std::filesystem::path& path, uint64_t size, uint32_t granularity);
  // Replaces `path` with this map: written to a temporary file, fsync'ed, renamed into place,
  // and the directory fsync'ed. Throws Error.
  void SaveDurably(const std::filesystem::path& path) const;

  uint64_t size() const { return size_; }
  uint32_t granularity() const { return granularity_; }
  uint64_t block_count() const { return states_.size(); }
  uint64_t block_of(uint64_t offset) const { return offset / granularity_; }
  uint64_t block_start(uint64_t block) const { return block * granularity_; }
  // One past the last byte of `block`, clipped to the image size.
  uint64_t block_end(uint64_t block) const;

  BlockState state(uint64_t block) const { return states_[block]; }
  void set_state(uint64_t block, BlockState s) { states_[block] = s; }

 private:
  uint64_t size_;
  uint32_t granularity_;
  std::vector<BlockState> states_;  // one per block
};

}  // namespace cairn
