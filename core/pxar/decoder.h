// Decoding single pxar items and entries at known offsets of an archive (spec §1, §2.2),
// with every length and offset checked against the archive's bounds: hostile bytes give
// Error(kCorrupt) naming the archive and the offset, never a crash or an unbounded
// allocation. The accessor (accessor.h) builds random access on top of this.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/pxar/format.h"
#include "core/read/block_source.h"
#include "core/util/bytes.h"
#include "core/util/error.h"

namespace cairn::pxar {

enum class EntryKind { kDirectory, kFile, kSymlink, kDevice, kFifo, kSocket };

// A decoded entry. Hardlinks are resolved: they carry their target's metadata and identity.
struct Entry {
  std::string name;           // "" for the root
  EntryKind kind = EntryKind::kDirectory;
  Metadata meta;
  uint64_t entry_start = 0;   // offset of the ENTRY item; the same for all names of a hardlinked file
  uint64_t dir_end = 0;       // directories: end offset of the goodbye table
  uint64_t file_size = 0;     // regular files
  uint64_t content_offset = 0;  // regular files: first data byte (archive, or payload stream in v2)
  std::string link_target;    // symlinks
  uint64_t dev_major = 0, dev_minor = 0;  // devices
  std::string hardlink_path;  // set when this name is a HARDLINK (the target's path as stored)
};

// Reads bytes of an archive through a small window, so that neighbouring items cost one read
// of the source. Not thread-safe; make one per operation.
class ItemCursor {
 public:
  // `source` must outlive the cursor; `description` names the archive in errors.
  ItemCursor(BlockSource& source, const std::string& description);

  uint64_t archive_size() const { return size_; }
  // Exactly `n` bytes at `offset`, or Error(kCorrupt) when they are not all inside
  // [0, limit) (limit ≤ archive size). The view is valid until the next call.
  ByteView Get(uint64_t offset, uint64_t n, uint64_t limit);
  // The header at `offset` with full_size ≥ 16, content ≤ MaxContentSize(htype) and the
  // whole item inside [0, limit).
  struct Header {
    uint64_t htype;
    uint64_t full_size;
    uint64_t content_size() const { return full_size - kHeaderSize; }
  };
  Header ReadHeader(uint64_t offset, uint64_t limit);
  // An Error(kCorrupt) "<archive>: offset N: <what>".
  Error Corrupt(uint64_t offset, const std::string& what) const;

 private:
  // Points the window at [offset, offset + length) of the archive: straight at the source's
  // memory when one piece holds it all (a decoded chunk, which the window pins), else at a
  // copy. Throws on a short read.
  void Fill(uint64_t offset, uint64_t length);

  BlockSource& source_;
  const std::string& description_;
  const uint64_t size_;
  ByteView window_;                     // bytes of the archive starting at window_start_
  uint64_t window_start_ = 0;
  std::shared_ptr<const void> pinned_;  // keeps window_ alive when it is the source's memory
  Bytes copy_;                          // window_'s bytes otherwise
};

// Decodes the entry whose ENTRY item is at `entry_start` (for the root of a v2 archive: at
// the FORMAT_VERSION item, which is skipped with its PRELUDE), reading nothing at or beyond
// `limit`. Fills everything but name, dir_end and hardlink_path. `split` says whether files
// carry PAYLOAD_REF (v2) rather than PAYLOAD. The kind must agree with the mode.
Entry DecodeEntry(ItemCursor& cursor, uint64_t entry_start, uint64_t limit, bool split);

// Reads the FILENAME item at `offset` (inside [0, limit)) and returns the name, validated.
// `full_size` receives the item's size.
std::string ReadFilename(ItemCursor& cursor, uint64_t offset, uint64_t limit, uint64_t& full_size);

}  // namespace cairn::pxar
