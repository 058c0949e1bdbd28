#include "core/store/chunk_store.h"

#include <cerrno>
#include <thread>

#include "core/util/error.h"
#include "core/util/hex.h"
#include "core/util/uncached_read.h"

namespace cairn {

LocalChunkStore::LocalChunkStore(std::filesystem::path datastore_root)
    : chunks_dir_(std::move(datastore_root) / ".chunks") {}

std::filesystem::path LocalChunkStore::ChunkPath(const Digest& digest) const {
  std::string hex = ToHex(digest);
  return chunks_dir_ / hex.substr(0, 4) / hex;
}

std::string LocalChunkStore::Describe(const Digest& digest) const { return ChunkPath(digest).string(); }

AlignedBytes LocalChunkStore::FetchInto(const Digest& digest, AlignedBytes buffer) const {
  std::filesystem::path path = ChunkPath(digest);
  AlignedBytes data;
  try {
    data = ReadWholeFileUncached(path, kMaxEncodedChunkSize, std::move(buffer));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) {
      // A reader holds its snapshot's lock, so PBS cannot prune it meanwhile; a missing chunk
      // means the datastore lost it (or a copy of it is incomplete), or GC removed it after a
      // prune that happened before this snapshot was opened.
      throw Error(ErrorKind::kNotFound, "chunk " + ToHex(digest) + " is missing (" + path.string() +
                                            "): lost from the datastore, or garbage-collected after a prune");
    }
    throw;
  }
  if (data.empty()) {
    throw Error(ErrorKind::kNotFound, "chunk " + ToHex(digest) +
                                          " is not present here: zero-length file (an S3 cache marker) " +
                                          path.string());
  }
  return data;
}

DelayedChunkStore::DelayedChunkStore(std::shared_ptr<const ChunkStore> inner, std::chrono::microseconds delay)
    : inner_(std::move(inner)), delay_(delay) {}

AlignedBytes DelayedChunkStore::FetchInto(const Digest& digest, AlignedBytes buffer) const {
  std::this_thread::sleep_for(delay_);
  return inner_->FetchInto(digest, std::move(buffer));
}

}  // namespace cairn
