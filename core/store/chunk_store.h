// Where encoded chunks come from (spec §1.3). The one place that touches chunk files; the
// chunk cache and every reader go through this interface.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "core/crypto/sha256.h"
#include "core/util/aligned_bytes.h"

namespace cairn {

class ChunkStore {
 public:
  virtual ~ChunkStore() = default;

  // Returns the encoded chunk (a DataBlob file's bytes). Thread-safe. Throws Error:
  // kNotFound when the chunk is absent (e.g. garbage-collected after a prune, or only a
  // zero-length S3 cache marker is present locally), kIo when reading fails.
  AlignedBytes Fetch(const Digest& digest) const { return FetchInto(digest, {}); }
  // The same, read into `buffer` when it can be (a recycled buffer, whatever it holds: see
  // ReadWholeFileUncached).
  virtual AlignedBytes FetchInto(const Digest& digest, AlignedBytes buffer) const = 0;

  // A human-readable location of the chunk for error messages (a file path).
  virtual std::string Describe(const Digest& digest) const = 0;
};

// Chunks in a datastore's `.chunks/<4 hex>/<64 hex>` files. Opens with O_NOATIME where
// permitted and never writes. Reads chunks that are not in the page cache with direct I/O,
// so they do not fill it (ReadWholeFileUncached).
class LocalChunkStore : public ChunkStore {
 public:
  explicit LocalChunkStore(std::filesystem::path datastore_root);

  AlignedBytes FetchInto(const Digest& digest, AlignedBytes buffer) const override;
  std::string Describe(const Digest& digest) const override;
  std::filesystem::path ChunkPath(const Digest& digest) const;

 private:
  std::filesystem::path chunks_dir_;  // <root>/.chunks
};

// Adds a fixed delay to every fetch, to simulate network or spinning storage in benchmarks
// and tests (a decorator, so the real store stays free of test code).
class DelayedChunkStore : public ChunkStore {
 public:
  DelayedChunkStore(std::shared_ptr<const ChunkStore> inner, std::chrono::microseconds delay);

  AlignedBytes FetchInto(const Digest& digest, AlignedBytes buffer) const override;
  std::string Describe(const Digest& digest) const override { return inner_->Describe(digest); }

 private:
  std::shared_ptr<const ChunkStore> inner_;
  std::chrono::microseconds delay_;
};

// Largest chunk file we read: 16 MiB of plaintext plus the encrypted header, with slack
// for a legacy writer whose zstd output grew (spec §2.5).
inline constexpr size_t kMaxEncodedChunkSize = (16 << 20) + 4096;

}  // namespace cairn
