// A copy-on-write overlay over one read-only image (issue 5, "writable attach"; nbdkit's cow
// filter): writes go to a sparse data file beside an AllocationMap, never to the base. The
// overlay is shared by every connection to the image; each caller passes its own base
// reader. Three files per overlay, named by a common stem:
//   <stem>.json  what the overlay was made over (OverlayInfo); written last at creation
//   <stem>.data  sparse, image-sized; block b's bytes at the image's own offsets
//   <stem>.map   the AllocationMap, replaced atomically at each flush
// Crash safety: data is fdatasync'ed before the map that points at it is saved, so after
// a Flush (or FUA) returned, kill -9 or power loss keep every write; writes after the last
// flush may be lost or partly applied (the protocol allows it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "core/overlay/allocation_map.h"
#include "core/read/block_source.h"
#include "core/util/bytes.h"
#include "core/util/file.h"

namespace cairn {

// Partial blocks are completed from the base before they are written (read-modify-write).
inline constexpr uint32_t kOverlayGranularity = 64 << 10;

// What an overlay belongs to; recorded in <stem>.json.
struct OverlayInfo {
  std::string datastore;    // absolute datastore path, for `cairn overlay export`
  std::string export_name;  // the image's export name (its target, not an alias)
  uint64_t size = 0;        // bytes of the base image
  std::string base_id;      // fingerprint of the base's bytes (index checksum)
  uint32_t granularity = kOverlayGranularity;

  bool operator==(const OverlayInfo&) const = default;
};

class Overlay {
 public:
  // Opens the overlay at `stem`, creating it when <stem>.json does not exist. Throws Error:
  // kInvalidInput when the existing overlay was made over another image (export, size or
  // base fingerprint differ), kCorrupt when its files are damaged.
  static std::unique_ptr<Overlay> OpenOrCreate(const std::filesystem::path& stem, const OverlayInfo& info);
  // Opens an existing overlay read-only (kNotFound when there is none); writes then fail.
  static std::unique_ptr<Overlay> OpenReadOnly(const std::filesystem::path& stem);
  // Reads <stem>.json. Throws Error.
  static OverlayInfo ReadInfo(const std::filesystem::path& stem);

  const OverlayInfo& info() const { return info_; }

  // BlockSource and WritableBlockSource semantics over `base` (size() == info().size).
  // Thread-safe. Reads run concurrently; writes are serialised.
  size_t Read(BlockSource& base, uint64_t offset, std::span<uint8_t> out) const;
  std::vector<Extent> Extents(const BlockSource& base, uint64_t offset, uint64_t length) const;
  void Write(BlockSource& base, uint64_t offset, ByteView data);
  // Whole blocks become holes when `may_punch`; everything else is written as zeros.
  void WriteZeroes(BlockSource& base, uint64_t offset, uint64_t length, bool may_punch);
  // fdatasync of the data, then the map saved durably when it changed.
  void Flush();

 private:
  // A run of blocks of one state, clipped to the queried range.
  struct Run {
    uint64_t offset;
    uint64_t length;
    BlockState state;
  };

  Overlay(std::filesystem::path stem, OverlayInfo info, UniqueFd data, AllocationMap map);
  std::vector<Run> Runs(uint64_t offset, uint64_t length) const;  // REQUIRES: mu_ held
  // Writes `bytes` at `offset` inside block `b`, completing a partial block from what it
  // reads as now. REQUIRES: mu_ held exclusively.
  void WriteInBlock(BlockSource& base, uint64_t b, uint64_t offset, ByteView bytes);
  void PunchHole(uint64_t offset, uint64_t length);
  std::filesystem::path path(const char* suffix) const;

  const std::filesystem::path stem_;
  const OverlayInfo info_;
  const UniqueFd data_;           // <stem>.data, O_RDWR (O_RDONLY for OpenReadOnly)
  const Bytes zeros_;             // one block of zeros
  mutable std::shared_mutex mu_;  // guards map_ and dirty_; held exclusively while writing
  AllocationMap map_;
  bool dirty_ = false;   // map_ differs from <stem>.map
  std::mutex flush_mu_;  // one Flush at a time
};

}  // namespace cairn
