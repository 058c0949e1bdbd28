#include "core/read/snapshot_image.h"

#include "core/read/archive_reader.h"

namespace cairn {

std::unique_ptr<SnapshotImage> SnapshotImage::Open(const Datastore& datastore, const Snapshot& snapshot,
                                                   const CryptConfig* crypt, std::string_view filename,
                                                   ChunkCache& cache, const ReadOptions& options) {
  auto opened = std::make_unique<SnapshotReader>(datastore, snapshot, crypt);
  std::unique_ptr<IndexReader> reader = OpenArchiveReader(*opened, filename, cache, options);
  return std::unique_ptr<SnapshotImage>(new SnapshotImage(std::move(opened), std::move(reader)));
}

}  // namespace cairn
