// An image archive of a snapshot opened for reading as one BlockSource that owns what it
// needs: the SnapshotReader (so the shared snapshot lock, spec §9.4, is held while the
// source lives and PBS cannot prune the snapshot) and the archive's IndexReader.
#pragma once

#include <memory>
#include <string_view>

#include "core/read/index_reader.h"

namespace cairn {

class SnapshotImage final : public BlockSource {
 public:
  // Opens archive `filename` (a stored name, "drive-scsi0.img.fidx") of `snapshot` with
  // OpenArchiveReader. `datastore`, `crypt` (may be null) and `cache` must outlive the
  // source. Throws like SnapshotReader and OpenArchiveReader.
  static std::unique_ptr<SnapshotImage> Open(const Datastore& datastore, const Snapshot& snapshot,
                                             const CryptConfig* crypt, std::string_view filename,
                                             ChunkCache& cache, const ReadOptions& options = {});

  uint64_t size() const override { return reader_->size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override { return reader_->Read(offset, out); }
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override {
    return reader_->Extents(offset, length);
  }
  std::vector<SharedBytes> ReadShared(uint64_t offset, size_t length) override {
    return reader_->ReadShared(offset, length);
  }
  bool IsReadReady(uint64_t offset, uint64_t length) const override { return reader_->IsReadReady(offset, length); }

  const IndexReader& reader() const { return *reader_; }

 private:
  SnapshotImage(std::unique_ptr<SnapshotReader> snapshot, std::unique_ptr<IndexReader> reader)
      : snapshot_(std::move(snapshot)), reader_(std::move(reader)) {}

  std::unique_ptr<SnapshotReader> snapshot_;  // declared first: outlives the reader
  std::unique_ptr<IndexReader> reader_;
};

}  // namespace cairn
