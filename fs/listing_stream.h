// The streamed index.json of the root, a namespace or a group: a JSON array with one PBS
// snapshot-list item per line,
//
//   [
//   {"backup-id":"100","backup-time":1714557600,...},
//   {"backup-id":"100","backup-time":1714644000,...}
//   ]
//
// serialized while it is read (pull model), never built whole. A read at any offset resumes
// from the nearest checkpoint (a byte offset and the snapshot written just before it) by
// seeking a SnapshotWalk there, so memory stays constant however many snapshots there are.
// The manifests of the next kLookahead snapshots are read and rendered concurrently while
// earlier lines are produced: one at a time, a cold datastore would make every line wait
// for the disk, and a warm one would use one core.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/sha256.h"
#include "core/util/thread_pool.h"
#include "fs/snapshot_walk.h"

namespace cairn::fs {

// Which snapshots a listing covers: all below `ns`, or only those of `group`.
struct ListingScope {
  BackupNamespace ns;
  std::optional<BackupGroup> group;
};

// A place in the document where a line begins.
struct ListingCheckpoint {
  uint64_t offset = 0;            // byte offset of the line
  std::optional<Snapshot> after;  // the snapshot on the line before; nullopt at offset 0
};

class ListingStream {
 public:
  static constexpr size_t kLookahead = 128;
  static constexpr size_t kBatchSize = 16;

  // Starts producing at `from`. Manifests are read on `readers`, or inline when it is null.
  // `datastore` and `readers` must outlive the stream.
  ListingStream(const Datastore& datastore, const ListingScope& scope, const ListingCheckpoint& from,
                ThreadPool* readers = nullptr);

  // The offset of the next byte Produce() returns.
  uint64_t offset() const { return offset_; }
  // Fills `out` with the next bytes; returns fewer than out.size() only at the end.
  size_t Produce(std::span<uint8_t> out);
  // Discards the next `count` bytes (or up to the end).
  void Skip(uint64_t count);
  // Skips the rest of the current line (or the whole next one when the current is done) and
  // returns the bytes skipped, valid until the next call; nullopt at the end of the document.
  // Used to measure without copying.
  std::optional<std::string_view> SkipPiece();
  // A checkpoint at offset(); nullopt unless offset() is at the start of a line.
  std::optional<ListingCheckpoint> Checkpoint() const;

 private:
  // Snapshots whose list items are rendered together by one task (handing each to a
  // thread on its own costs more than rendering it). An item is the snapshot's JSON, or
  // nullopt when the snapshot turned out to have no manifest (unfinished, or pruned since
  // the walk listed it).
  struct Batch {
    std::vector<Snapshot> snapshots;
    std::future<std::vector<std::optional<std::string>>> rendering;
    std::vector<std::optional<std::string>> items;  // once rendering is collected
    size_t next = 0;                                // the next snapshot to produce
  };

  // Loads the next piece (a line with its separator, or the closing bracket) into piece_;
  // false at the end of the document.
  bool NextPiece();
  // Starts rendering walked snapshots until kLookahead are pending or the walk ends.
  void FillLookahead();

  ThreadPool* const readers_;
  SnapshotWalk walk_;
  std::deque<Batch> pending_;     // in walk order
  size_t pending_snapshots_ = 0;  // not yet produced, in pending_
  std::optional<Snapshot> last_;  // the snapshot of the last line produced
  std::string piece_;             // being produced
  size_t piece_pos_ = 0;          // bytes of piece_ produced
  uint64_t offset_ = 0;
  bool closed_ = false;           // the closing bracket is in piece_ or produced
};

// The size of a listing, the SHA-256 of its content, and checkpoints spaced about
// kCheckpointSpacing apart (further when there would be more than kMaxCheckpoints), from one
// full serialization.
struct ListingLayout {
  static constexpr uint64_t kCheckpointSpacing = 64 << 10;
  static constexpr size_t kMaxCheckpoints = 4096;

  uint64_t size = 0;
  Digest digest{};
  std::vector<ListingCheckpoint> checkpoints;  // ascending offsets; the first is offset 0

  static ListingLayout Measure(const Datastore& datastore, const ListingScope& scope, ThreadPool* readers = nullptr);
  // The last checkpoint at or before `offset`.
  const ListingCheckpoint& CheckpointBefore(uint64_t offset) const;
};

}  // namespace cairn::fs
