// SHA-256 and HMAC-SHA256 (OpenSSL), the hash behind chunk digests, csums and signatures.
#pragma once

#include <array>
#include <cstdint>

#include "core/util/bytes.h"

namespace cairn {

using Digest = std::array<uint8_t, 32>;

// Hash for unordered containers of digests: they are uniformly distributed already, so
// their first bytes are a good hash.
struct DigestHash {
  size_t operator()(const Digest& digest) const { return LoadLE<size_t>(digest.data()); }
};

Digest Sha256(ByteView data);

// Incremental SHA-256 for data that arrives in pieces (index checksums, whole files).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  // REQUIRES: called once; the hasher cannot be used afterwards.
  Digest Finish();

 private:
  struct State;
  State* state_;  // OpenSSL digest context
};

Digest HmacSha256(ByteView key, ByteView message);

}  // namespace cairn
