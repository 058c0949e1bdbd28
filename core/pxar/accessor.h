// Random access to a pxar archive (spec §3.6, §4, §5): opens the root from the goodbye tail
// at the end of the archive and finds a directory's children through its goodbye table, so
// opening a path reads a few items per component and never scans the archive. File contents
// are read straight from the archive (v1) or the payload stream (v2) at the given range.
//
// Thread-safe: every call works on its own cursor, the sources are thread-safe, and the
// cache of goodbye tables is locked.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/pxar/decoder.h"
#include "core/read/block_source.h"
#include "core/util/lru_cache.h"

namespace cairn::pxar {

class Accessor {
 public:
  // `archive` is a unified .pxar or, with `payload`, the .mpxar of a split archive; both must
  // outlive the accessor. `description` names the archive in errors. Checks the root's tail
  // and format version; throws Error(kCorrupt). File contents of a unified archive are read
  // from `contents` when given (a second reader of the same archive): a mount navigates the
  // metadata with a reader that never reads ahead, since hopping between a directory's
  // entries and its goodbye table looks sequential and would start read-ahead of chunks
  // nobody reads, while file contents keep their read-ahead.
  Accessor(BlockSource& archive, BlockSource* payload, std::string description, BlockSource* contents = nullptr);

  const std::string& description() const { return description_; }
  bool split() const { return payload_ != nullptr; }

  // The root directory (name "").
  Entry Root() const;
  // The children of directory `dir`, in archive order. Calls `visit` for each when
  // given (then returns an empty vector), so huge directories need not be held at once.
  // A child that fails to decode throws, or, with `on_bad_child`, is reported there and
  // skipped (restore refuses hostile entries and goes on).
  std::vector<Entry> List(const Entry& dir, const std::function<void(Entry&&)>& visit = {},
                          const std::function<void(const Error&)>& on_bad_child = {}) const;
  // Where the children of directory `dir` are, in goodbye-table order, without reading them:
  // each record's name hash and the offset of its FILENAME item (checked to lie inside the
  // directory). What a listing from the catalog needs to tie names to entries.
  struct ChildRecord {
    uint64_t hash;
    uint64_t filename_start;
  };
  std::vector<ChildRecord> ChildRecords(const Entry& dir) const;

  // One goodbye-table record (spec §3.4).
  struct Record {
    uint64_t hash, offset, size;
  };

  // The child of `dir` named `name`, or nullopt.
  std::optional<Entry> Lookup(const Entry& dir, std::string_view name) const;
  // The entry at `path` ("a/b/c", "" or "/" for the root; '/' separated, empty components
  // ignored), or nullopt when a component is missing or not a directory.
  std::optional<Entry> LookupPath(std::string_view path) const;

  // Reads file contents at `offset` into `out`; returns the bytes read (short only at the
  // end of the file). REQUIRES file.kind == kFile.
  size_t ReadFile(const Entry& file, uint64_t offset, std::span<uint8_t> out) const;
  // The same bytes (up to `length`) as pieces of memory they keep alive themselves
  // (BlockSource::ReadShared): straight from the chunk cache, without a copy.
  std::vector<SharedBytes> ReadFileShared(const Entry& file, uint64_t offset, size_t length) const;
  // As ReadFileShared, through `contents`: another reader of the stream the contents are in,
  // whose read-ahead follows a reader of its own.
  std::vector<SharedBytes> ReadFileSharedFrom(BlockSource& contents, const Entry& file, uint64_t offset,
                                              size_t length) const;

 private:
  struct Table {
    uint64_t goodbye_start;
    uint64_t dir_entry_start;
    uint64_t count;  // records before the tail
  };
  Table ReadTable(ItemCursor& cursor, uint64_t dir_end) const;
  // The goodbye table of the directory ending at `dir_end`, with its records when they fit
  // the cache of recently used tables, which then keeps them. Looking up a child then
  // needs no read of the table: it lies at the directory's end, often chunks away from
  // the child, and a walk that comes back to a directory's children one at a time (the
  // kernel looking up each subdirectory it descends into) decoded that chunk again each time.
  struct Goodbye;
  std::shared_ptr<const Goodbye> GoodbyeOf(ItemCursor& cursor, uint64_t dir_end) const;
  // Decodes the child of `table` described by goodbye record (offset, size).
  Entry DecodeChild(ItemCursor& cursor, const Table& table, uint64_t rec_offset, uint64_t rec_size) const;
  Entry ResolveHardlink(ItemCursor& cursor, uint64_t filename_start, uint64_t hardlink_at, uint64_t limit) const;
  // Checks the PAYLOAD header a PAYLOAD_REF points at and moves content_offset to the data.
  void CheckPayload(Entry& e) const;
  // The error for file contents that end before pxar offset `at` (plus what was asked).
  Error Truncated(uint64_t at) const;

  BlockSource& archive_;
  BlockSource* payload_;        // null for unified archives
  BlockSource& contents_;       // where file contents are read: payload_, contents or archive_
  const std::string description_;
  std::string payload_description_;
  mutable std::mutex tables_mu_;
  mutable LruCache<uint64_t, const Goodbye> tables_;  // by dir_end, weighed in bytes; guarded by tables_mu_
};

}  // namespace cairn::pxar
