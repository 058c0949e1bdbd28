// Stores a byte stream of unknown length as a dynamic-index archive (spec §4, §7.2): the
// stream is cut with the PBS buzhash chunker, so identical data gives identical chunks and
// deduplicates against earlier backups (ours or PBS's); chunks are hashed, compressed and
// encrypted on all cores and inserted through the snapshot writer.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/crypto/sha256.h"
#include "core/format/chunker.h"
#include "core/util/bounded_tasks.h"
#include "core/util/thread_pool.h"
#include "core/write/snapshot_writer.h"

namespace cairn {

class ChunkedStreamWriter {
 public:
  // `writer` must outlive this. `average` as for Chunker (PBS: 4 MiB for pxar, 512 KiB for
  // catalogs).
  ChunkedStreamWriter(SnapshotWriter& writer, size_t average);
  ~ChunkedStreamWriter();
  ChunkedStreamWriter(const ChunkedStreamWriter&) = delete;
  ChunkedStreamWriter& operator=(const ChunkedStreamWriter&) = delete;

  // Appends bytes to the stream. Throws the first failure of a chunk stored so far.
  void Write(ByteView data);
  // Cuts the chunk here when it has at least the chunker's minimum size (it never exceeds
  // the maximum), else does nothing: what PBS's payload chunker does at the file starts the
  // encoder suggests (spec pbs-datastore-format §7.2), so that an unchanged file after a
  // changed one begins a chunk that deduplicates.
  void SuggestBoundary();
  // Stores the last chunk, waits for all, and adds `index_name` (ending in .didx) to the
  // snapshot. REQUIRES at least one byte was written; call once.
  void Finish(const std::string& index_name);

  uint64_t size() const { return size_; }

 private:
  void Cut();

  SnapshotWriter& writer_;
  Chunker chunker_;
  Bytes current_;              // bytes of the chunk being cut
  uint64_t size_ = 0;          // stream bytes so far
  std::deque<std::pair<uint64_t, Digest>> chunks_;  // (end, digest), digests filled by workers
  BoundedTasks pipeline_;      // outlives pool_: queued tasks report to it
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace cairn
