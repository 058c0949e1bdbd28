// Adds chunks to a datastore's chunk store following PBS's writer rules (spec §9.5 step 5):
// an existing non-empty chunk is kept (its atime refreshed, so a running GC keeps it);
// otherwise the encoded chunk goes to a temporary name in its prefix directory and is
// renamed into place, so no reader ever sees a partial chunk.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>

#include "core/crypto/crypt_config.h"
#include "core/store/chunk_store.h"

namespace cairn {

// The server's `chunk_upload_stats` (spec §5.2).
struct ChunkUploadStats {
  uint64_t count = 0;            // chunks inserted or found
  uint64_t size = 0;             // plaintext bytes of those chunks
  uint64_t compressed_size = 0;  // encoded bytes of the chunks actually written
  uint64_t duplicates = 0;       // chunks that were already present
};

class ChunkInserter {
 public:
  // `crypt` may be null (unencrypted); it must outlive the inserter.
  ChunkInserter(const std::filesystem::path& datastore_root, const CryptConfig* crypt);

  // Stores `plain` under `digest` (REQUIRES: digest == ChunkDigestOf(plain, crypt)) unless a
  // non-empty chunk file is already there. Thread-safe. Throws Error on I/O failure.
  void Insert(const Digest& digest, ByteView plain);

  ChunkUploadStats stats() const;

 private:
  LocalChunkStore store_;    // for chunk paths
  const CryptConfig* crypt_;  // null when unencrypted
  std::atomic<uint64_t> count_{0}, size_{0}, compressed_size_{0}, duplicates_{0};
};

}  // namespace cairn
