// The narrow interface every consumer of image bytes uses (NBD, FUSE files, cat, restore):
// a size, positioned reads and which ranges are known to be zero. Implemented by the index
// readers; layers such as a partition slice or a copy-on-write overlay stack on top of it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/util/bytes.h"

namespace cairn {

// A run of bytes that is either known to be all zeros (served without I/O) or data.
struct Extent {
  uint64_t offset;
  uint64_t length;
  bool zero;

  bool operator==(const Extent&) const = default;
};

// Bytes of a read handed on without a copy: `bytes` lies in memory that `owner` keeps alive
// (a decoded chunk of the cache, or a buffer of its own). A null owner stands for
// bytes.size() zeros; bytes.data() is then null.
struct SharedBytes {
  std::shared_ptr<const void> owner;
  ByteView bytes;
};

// A block of zeros (1 MiB) that replies point at for null-owner pieces, a block at a time.
ByteView SharedZeros();

// Calls emit(ByteView) with the memory that carries `length` bytes of `piece` from `from`
// on, for a reply's gather list: the piece's own bytes, or for a zero piece the shared block
// of zeros as many times as needed.
template <typename Emit>
void ForEachBuffer(const SharedBytes& piece, size_t from, size_t length, Emit emit) {
  if (piece.owner) {
    emit(piece.bytes.subspan(from, length));
    return;
  }
  const ByteView zeros = SharedZeros();
  for (size_t done = 0; done < length; done += zeros.size()) emit(zeros.first(std::min(zeros.size(), length - done)));
}

class BlockSource {
 public:
  virtual ~BlockSource() = default;

  // Total size in bytes.
  virtual uint64_t size() const = 0;

  // Reads into `out` starting at `offset`; returns the number of bytes read, which is
  // out.size() except at the end (reads past the end are clipped, 0 at or beyond it).
  // Thread-safe. Throws Error; nothing is returned for a read that fails in part.
  virtual size_t Read(uint64_t offset, std::span<uint8_t> out) = 0;

  // The bytes Read would return, as pieces in order, for callers that hand them on (FUSE
  // and NBD replies). Sources that hold the bytes in memory already (decoded chunks) return
  // that memory; the default reads into a new buffer. Pieces stay pinned while held, so
  // `length` should be one request's worth. Throws like Read.
  virtual std::vector<SharedBytes> ReadShared(uint64_t offset, size_t length);

  // True when a read of the range would not wait for I/O or decoding (everything it needs
  // is in memory now), so a caller may run it where it must not block. A hint: by the
  // time of the read, a chunk may have been evicted. The default: false.
  virtual bool IsReadReady(uint64_t, uint64_t) const { return false; }

  // The extents covering [offset, offset + length) clipped to size(), in order, adjacent
  // extents of the same kind merged. "zero" means known zero; data extents may hold zeros.
  virtual std::vector<Extent> Extents(uint64_t offset, uint64_t length) const = 0;
};

// A BlockSource that also takes writes (a copy-on-write overlay over a read-only image).
// Every range must lie within size(). Writes are visible to later reads of every source of
// the same image as soon as the call returns; they are durable once Flush() returned, or on
// return when `fua` is set. Thread-safe; concurrent writes to overlapping ranges leave either
// one's bytes. Throws Error (ENOSPC-style failures keep their errno).
class WritableBlockSource : public BlockSource {
 public:
  virtual void Write(uint64_t offset, std::span<const uint8_t> data, bool fua) = 0;
  // The range reads as zeros afterwards. `may_punch`: it may become a hole (unallocated);
  // otherwise it stays or becomes allocated (NBD_CMD_FLAG_NO_HOLE).
  virtual void WriteZeroes(uint64_t offset, uint64_t length, bool may_punch, bool fua) = 0;
  // The client no longer needs the range; here it reads as zeros afterwards.
  virtual void Trim(uint64_t offset, uint64_t length, bool fua) = 0;
  // Makes every write that returned durable.
  virtual void Flush() = 0;
};

}  // namespace cairn
