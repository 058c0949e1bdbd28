#include "tests/cache/memory_chunk_store.h"

#include "core/format/blob.h"
#include "core/util/error.h"
#include "core/util/hex.h"

namespace cairn::test {

Digest MemoryChunkStore::Add(ByteView plain) {
  Digest digest = ChunkDigestOf(plain, crypt_);
  Bytes encoded = EncodeBlob(plain, crypt_, true);
  std::lock_guard lock(mu_);
  chunks_[digest] = std::move(encoded);
  return digest;
}

Digest MemoryChunkStore::DigestOf(ByteView plain) const {
  return ChunkDigestOf(plain, crypt_);
}

void MemoryChunkStore::Corrupt(const Digest& digest) {
  std::lock_guard lock(mu_);
  Bytes& chunk = chunks_.at(digest);
  chunk.back() ^= 0x40;
}

void MemoryChunkStore::Remove(const Digest& digest) {
  std::lock_guard lock(mu_);
  chunks_.erase(digest);
}

void MemoryChunkStore::Hold() {
  std::lock_guard lock(mu_);
  held_ = true;
}

void MemoryChunkStore::Release() {
  {
    std::lock_guard lock(mu_);
    held_ = false;
  }
  released_.notify_all();
}

AlignedBytes MemoryChunkStore::FetchInto(const Digest& digest, AlignedBytes buffer) const {
  std::unique_lock lock(mu_);
  ++fetch_counts_[digest];
  fetch_order_.push_back(digest);
  offered_capacities_.push_back(buffer.capacity());
  released_.wait(lock, [this] { return !held_; });
  auto it = chunks_.find(digest);
  if (it == chunks_.end())
    throw Error(ErrorKind::kNotFound, "chunk " + ToHex(digest) + " is missing (memory)");
  buffer.assign(it->second.begin(), it->second.end());
  return buffer;
}

std::string MemoryChunkStore::Describe(const Digest& digest) const {
  return "memory:" + ToHex(digest);
}

size_t MemoryChunkStore::fetches(const Digest& digest) const {
  std::lock_guard lock(mu_);
  auto it = fetch_counts_.find(digest);
  return it == fetch_counts_.end() ? 0 : it->second;
}

size_t MemoryChunkStore::total_fetches() const {
  std::lock_guard lock(mu_);
  size_t total = 0;
  for (const auto& [digest, count] : fetch_counts_) total += count;
  return total;
}

std::vector<size_t> MemoryChunkStore::offered_capacities() const {
  std::lock_guard lock(mu_);
  return offered_capacities_;
}

std::vector<Digest> MemoryChunkStore::fetch_order() const {
  std::lock_guard lock(mu_);
  return fetch_order_;
}

}  // namespace cairn::test
