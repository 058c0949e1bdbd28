#include "core/read/archive_reader.h"

#include "core/read/image_reader.h"
#include "core/read/stream_reader.h"
#include "core/util/error.h"

namespace cairn {

std::unique_ptr<IndexReader> OpenArchiveReader(const SnapshotReader& snapshot, std::string_view filename,
                                               ChunkCache& cache, const ReadOptions& options,
                                               std::shared_ptr<const ChunkStore> store) {
  std::optional<ArchiveKind> kind = ArchiveKindOf(filename);
  if (kind == ArchiveKind::kFixedIndex)
    return ImageReader::Open(snapshot, filename, cache, options, std::move(store));
  if (kind == ArchiveKind::kDynamicIndex) {
    return StreamReader::Open(snapshot, filename, cache, options, std::move(store));
  }
  throw Error(ErrorKind::kInvalidInput,
              snapshot.Describe(filename) + " is not a chunked archive (.fidx or .didx)");
}

}  // namespace cairn
