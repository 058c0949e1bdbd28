// A backup encryption key and everything PBS derives from it (spec §6.1): the AES key, the
// id_key for keyed chunk digests and manifest signatures, and the key fingerprint.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/crypto/aes_gcm.h"
#include "core/crypto/sha256.h"

namespace cairn {

using Fingerprint = Digest;

class CryptConfig {
 public:
  explicit CryptConfig(const AesKey& enc_key);

  const AesKey& enc_key() const { return enc_key_; }
  const Digest& id_key() const { return id_key_; }
  const Fingerprint& fingerprint() const { return fingerprint_; }

  // SHA-256(data ‖ id_key): the digest of a chunk in an encrypted backup.
  Digest KeyedDigest(ByteView data) const;
  // HMAC-SHA256(id_key, message): manifest signatures.
  Digest Sign(ByteView message) const;

 private:
  AesKey enc_key_;
  Digest id_key_;
  Fingerprint fingerprint_;
};

// "0e:ab:d4:..." — all 32 bytes (key files, manifests).
std::string FingerprintFull(const Fingerprint& fp);
// The first 8 bytes in the same style, as PBS prints it in logs and listings.
std::string FingerprintShort(const Fingerprint& fp);
// Accepts the full form (colons optional); nullopt when it is not 32 hex bytes.
std::optional<Fingerprint> ParseFingerprint(std::string_view text);

}  // namespace cairn
