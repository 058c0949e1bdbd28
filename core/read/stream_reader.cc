#include "core/read/stream_reader.h"

namespace cairn {

StreamReader::StreamReader(DynamicIndex index, ChunkCache& cache, ChunkSource source, std::string description,
                           const ReadOptions& options)
    : IndexReader(cache, std::move(source), std::move(description), options), index_(std::move(index)) {}

std::unique_ptr<StreamReader> StreamReader::Open(const SnapshotReader& snapshot, std::string_view filename,
                                                 ChunkCache& cache, const ReadOptions& options,
                                                 std::shared_ptr<const ChunkStore> store) {
  DynamicIndex index = snapshot.OpenDynamicIndex(filename);
  ChunkSource source = ArchiveChunkSource(snapshot, filename, std::move(store));
  return std::make_unique<StreamReader>(std::move(index), cache, std::move(source), snapshot.Describe(filename),
                                        options);
}

}  // namespace cairn
