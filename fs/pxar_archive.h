// One opened file archive of a snapshot, shared by all nodes of its tree: the snapshot
// reader (holding the snapshot's shared lock, spec §9.4, while any node of the tree is known
// to the kernel), the stream readers over the .pxar.didx (or .mpxar.didx + .ppxar.didx)
// through the process's ChunkCache, and the random-access pxar accessor over them; for a
// unified archive also the snapshot's catalog, which answers directory listings
// (pxar/catalog_listing.h).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/format/catalog.h"
#include "core/pxar/accessor.h"
#include "core/pxar/following_files.h"
#include "core/read/index_reader.h"
#include "core/store/snapshot_reader.h"
#include "fs/node.h"
#include "fs/walk_read_ahead.h"

namespace cairn::fs {

class PxarArchive {
 public:
  // `stored`: "root.pxar.didx" or "root.mpxar.didx" (the .ppxar.didx is found by name).
  // Throws Error as SnapshotReader and pxar::Accessor do.
  PxarArchive(const FsContext& context, const Snapshot& snapshot, const std::string& stored);

  const pxar::Accessor& accessor() const { return *accessor_; }

  // The number of names of the regular file whose ENTRY is at `entry_start` (1 unless
  // hardlinked). The first call walks
  // the archive's item headers once (pxar/hardlink_counts.h); an archive that cannot be
  // walked reports 1 for every file, its entries still fail on their own when read.
  uint32_t LinkCount(uint64_t entry_start) const;

  // The snapshot's catalog, loaded on first use, when this is a unified archive and the
  // snapshot has one that can be read; else null (listings then come from the archive).
  const Catalog* catalog() const;
  // The directory at bytes [start, end) of the archive's metadata is being listed: the
  // read-ahead of a walk through the tree (fs/walk_read_ahead.h).
  void Walk(uint64_t start, uint64_t end) const { walk_->At(start, end); }
  // Whether the metadata at `position` is decoded, or on its way ahead of the walk.
  bool IsAtHand(uint64_t position) const { return walk_->Covers(position) || archive_->IsReadReady(position, 1); }

  // The files to push into the kernel's page cache after a read of the file whose ENTRY is
  // at `entry_start` (pxar::FollowingFiles, a few MiB of small files at most), or none when
  // that file was among those pushed last: a reader going through the files in order then
  // costs one request per push, not one per file. A damaged stretch of the archive yields
  // fewer files; they report the damage when read. None with read-ahead off (depth 0).
  std::vector<pxar::FollowingFile> FilesToPushAfter(uint64_t entry_start) const;
  // Where pushed file contents are read: a reader of the contents' stream of its own, so
  // that its read-ahead follows the pushes, which run ahead of the kernel's reads.
  BlockSource& push_contents() const { return *push_contents_; }

  // The archive's name in the catalog and manifest, e.g. "root.pxar.didx".
  const std::string& stored_name() const { return stored_; }

 private:
  const std::string stored_;
  ChunkCache& cache_;
  const ReadOptions read_options_;
  std::unique_ptr<SnapshotReader> snapshot_;
  std::unique_ptr<IndexReader> archive_;   // metadata, without read-ahead
  std::unique_ptr<IndexReader> contents_;  // the payload of a split archive, else the archive again
  std::unique_ptr<IndexReader> push_contents_;  // the same stream as contents_
  std::unique_ptr<pxar::Accessor> accessor_;
  std::unique_ptr<WalkReadAhead> walk_;
  mutable std::once_flag catalog_loaded_;
  mutable std::unique_ptr<const Catalog> catalog_;
  mutable std::mutex push_mu_;
  // The first and last file of the push started last (UINT64_MAX while it is being planned).
  mutable uint64_t pushed_from_ = 0, pushed_to_ = 0;  // guarded by push_mu_
  mutable std::once_flag links_counted_;
  mutable std::unordered_map<uint64_t, uint32_t> link_counts_;  // entry_start -> names, ≥ 2 only
};

}  // namespace cairn::fs
