// PBS key files (spec §6.4), e.g. ~/.config/proxmox-backup/encryption-key.json: a backup key,
// optionally wrapped with a password.
//
//   {"kdf":null | {"Scrypt":{"n":..,"r":..,"p":..,"salt":"<b64>"}} | {"PBKDF2":{"iter":..,"salt":"<b64>"}},
//    "created":"2024-06-10T08:13:20+02:00","modified":"...","data":"<b64>",
//    "fingerprint":"xx:xx:...","hint":"..."}
//
// Without a KDF, data is the raw 32-byte key. With one, data = IV(16) | tag(16) |
// AES-256-GCM(KDF(password), IV)(key), 64 bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/crypto/aes_gcm.h"
#include "core/crypto/crypt_config.h"
#include "core/util/bytes.h"

namespace cairn {

struct ScryptParams {
  uint64_t n = 65536;  // CPU/memory cost, a power of two
  uint64_t r = 8;      // block size
  uint64_t p = 1;      // parallelism
  Bytes salt{};
};

struct Pbkdf2Params {
  uint64_t iter = 65535;  // PBKDF2-HMAC-SHA256 iterations
  Bytes salt{};
};

// How the password becomes the AES key that wraps the backup key; monostate = no password.
using KeyDerivation = std::variant<std::monostate, ScryptParams, Pbkdf2Params>;

// The alternatives of KeyDerivation, in the same order.
enum class KdfKind { kNone, kScrypt, kPbkdf2 };

// Limits on the KDF parameters we are willing to run, so that a hostile key file cannot make
// us allocate gigabytes or compute for hours. PBS's defaults (n=65536 r=8 p=1, 64 MiB, and
// iter=65535) are far inside them.
inline constexpr uint64_t kMaxScryptN = uint64_t{1} << 20;
inline constexpr uint64_t kMaxScryptMemory = uint64_t{1} << 30;  // 128 * r * n bytes
inline constexpr uint64_t kMaxScryptWork = uint64_t{1} << 24;    // n * r * p
inline constexpr uint64_t kMaxPbkdf2Iterations = 10'000'000;
// PBS refuses shorter passwords both when creating and when opening a key file.
inline constexpr size_t kMinKeyPasswordLength = 5;

struct KeyFile {
  KeyDerivation kdf;
  int64_t created = 0;   // epoch seconds; RFC 3339 in the file
  int64_t modified = 0;  // epoch seconds; RFC 3339 in the file
  Bytes data;            // the raw key (no KDF, 32 bytes) or IV | tag | ciphertext (64 bytes)
  std::optional<Fingerprint> fingerprint;  // of the key inside; checked by Decrypt
  std::optional<std::string> hint;         // password hint

  // Fuzzable entry point. Throws Error(kCorrupt) naming the field for invalid JSON, a missing
  // or mistyped field, a kdf that is not exactly null, {"Scrypt":{...}} or {"PBKDF2":{...}},
  // KDF parameters outside the limits above, base64 that is malformed (padding is optional),
  // data of the wrong length for the KDF, a timestamp that is not RFC 3339 with 'Z' or a
  // numeric offset, or a fingerprint that is not 32 hex bytes. Unknown members are ignored.
  static KeyFile Parse(std::string_view json);

  // Wraps `key` with `password` using the KDF's defaults, a random 32-byte salt and a random
  // IV. created = modified = now; fingerprint is set. For KdfKind::kNone the key is stored
  // in the clear. Throws Error(kInvalidInput) when the password is shorter than
  // kMinKeyPasswordLength, or is non-empty for kNone.
  static KeyFile Create(const AesKey& key, KdfKind kind, std::string_view password);
  // Like the above with explicit parameters (salt used as given), e.g. a cheap scrypt for
  // tests. Throws Error(kInvalidInput) also when the parameters are outside the limits.
  static KeyFile Create(const AesKey& key, const KeyDerivation& kdf, std::string_view password);

  KdfKind kdf_kind() const { return static_cast<KdfKind>(kdf.index()); }
  bool needs_password() const { return kdf_kind() != KdfKind::kNone; }

  // Returns the backup key. Throws Error(kInvalidInput) when a password is needed and is
  // shorter than kMinKeyPasswordLength; Error(kCrypto) "wrong password for key file" when the
  // tag does not verify; Error(kCrypto) naming both fingerprints when the key does not have
  // the stored fingerprint. The password is ignored when needs_password() is false.
  AesKey Decrypt(std::string_view password) const;

  // Compact JSON in PBS's field order (kdf, created, modified, data, fingerprint, hint;
  // the last two omitted when absent), times in RFC 3339 local time with a numeric offset.
  // Throws Error(kInvalidInput) when a time is outside the years 0000..9999.
  std::string ToJson() const;
};

}  // namespace cairn
