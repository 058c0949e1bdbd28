// A ChunkStore held in memory for cache and reader tests: counts fetches per chunk (and
// records the buffers they are given), reads into the buffer given like the disk store, can
// corrupt or drop chunks, and can hold every fetch until released (to make requests overlap
// without relying on timing).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/crypto/crypt_config.h"
#include "core/store/chunk_store.h"

namespace cairn::test {

class MemoryChunkStore : public ChunkStore {
 public:
  // Chunks are encoded with `crypt` (may be null), compressed when that helps.
  explicit MemoryChunkStore(const CryptConfig* crypt = nullptr) : crypt_(crypt) {}

  // Stores `plain` as a chunk and returns its digest.
  Digest Add(ByteView plain);
  // The digest `plain` has as a chunk here, without storing it.
  Digest DigestOf(ByteView plain) const;
  // Flips a bit in the stored chunk's payload, so its CRC fails.
  void Corrupt(const Digest& digest);
  void Remove(const Digest& digest);

  // Every Fetch blocks from Hold() until Release().
  void Hold();
  void Release();

  AlignedBytes FetchInto(const Digest& digest, AlignedBytes buffer) const override;
  std::string Describe(const Digest& digest) const override;

  size_t fetches(const Digest& digest) const;
  size_t total_fetches() const;
  // Digests in the order their fetches started.
  std::vector<Digest> fetch_order() const;
  // The capacity of the buffer each fetch was given to read into, in the same order.
  std::vector<size_t> offered_capacities() const;

 private:
  const CryptConfig* crypt_;
  mutable std::mutex mu_;
  mutable std::condition_variable released_;
  std::map<Digest, Bytes> chunks_;                 // guarded by mu_
  mutable std::map<Digest, size_t> fetch_counts_;  // guarded by mu_
  mutable std::vector<Digest> fetch_order_;        // guarded by mu_
  mutable std::vector<size_t> offered_capacities_;  // guarded by mu_
  bool held_ = false;                              // guarded by mu_
};

}  // namespace cairn::test
