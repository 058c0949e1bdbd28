// The content-defined chunker of PBS (spec §7.2): a buzhash over a 64-byte window, with the
// PBS cut test. For an average size `avg` (a power of two):
//
//   min = avg/4, max = avg·4, mask = 2·avg − 1, threshold = mask − 2
//
// A chunk is cut after a byte when it has reached max bytes, or when it has at least
// max(min, 65) bytes and (h & mask) >= threshold. Identical input and avg give the chunk
// boundaries PBS gives, which is what makes our chunks deduplicate against its chunks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/util/bytes.h"

namespace cairn {

// The buzhash table T of spec §7.3 (256 values, same as casync's).
const std::array<uint32_t, 256>& BuzhashTable();

class Chunker {
 public:
  // The pxar default (4 MiB) and the catalog's average (512 KiB).
  static constexpr size_t kDefaultAverage = 4 << 20;
  static constexpr size_t kCatalogAverage = 512 << 10;

  // Throws Error(kInvalidInput) unless avg is a power of two in [64, 2^30] (PBS clients
  // select 64 KiB ... 4 MiB; smaller values are allowed for tests).
  explicit Chunker(size_t avg);

  // Consumes bytes of `data` that continue the current chunk. Returns n > 0 when the chunk
  // ends after data[n-1] (the bytes from n on start the next chunk and must be passed to a
  // later call), or 0 when all of `data` was consumed without a cut. State carries over
  // between calls, so feeding a stream in pieces of any size gives the same cuts. At end of
  // stream the bytes since the last cut form the final chunk.
  size_t Scan(ByteView data);

  // Forgets the current chunk: the next byte scanned starts a new chunk.
  void Reset() {
    size_ = 0;
    h_ = 0;
  }

  size_t min_size() const { return min_; }
  size_t max_size() const { return max_; }

 private:
  static constexpr size_t kWindow = 64;

  size_t Cut(size_t consumed) {
    Reset();
    return consumed;
  }

  size_t min_;          // no content-defined cut before this many bytes
  size_t max_;          // forced cut at this many bytes
  uint32_t mask_;       // 2·avg − 1
  uint32_t threshold_;  // mask_ − 2
  size_t first_test_;   // chunk length at the first cut test: max(min_, 65)
  size_t hash_start_;   // first_test_ − 64; earlier bytes cannot affect any cut test
  size_t size_ = 0;     // bytes of the current chunk consumed so far
  uint32_t h_ = 0;      // buzhash of the window (of the bytes since hash_start_ while filling)
  std::array<uint8_t, kWindow> window_{};  // chunk byte at position p sits at window_[p % 64]
};

}  // namespace cairn
