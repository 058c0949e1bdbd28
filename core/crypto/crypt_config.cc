#include "core/crypto/crypt_config.h"

#include <openssl/evp.h>

#include <algorithm>

#include "core/util/error.h"
#include "core/util/hex.h"

namespace cairn {
namespace {

// SHA-256("Proxmox Backup Encryption Key Fingerprint").
constexpr Digest kFingerprintInput = {
    110, 208, 239, 119, 71, 31,  255, 77, 85,  199, 168, 254, 74,  157, 182, 33,
    97,  64,  127, 19,  76, 114, 93,  223, 48, 153, 45,  37,  236, 69,  237, 38};

std::string ColonHex(ByteView bytes) {
  std::string hex = ToHex(bytes);
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (i > 0) out += ':';
    out.append(hex, i, 2);
  }
  return out;
}

}  // namespace

CryptConfig::CryptConfig(const AesKey& enc_key) : enc_key_(enc_key) {
  static constexpr char kSalt[] = "_id_key";
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(enc_key_.data()), enc_key_.size(),
                        reinterpret_cast<const uint8_t*>(kSalt), sizeof(kSalt) - 1, 10,
                        EVP_sha256(), id_key_.size(), id_key_.data()) != 1) {
    throw Error(ErrorKind::kCrypto, "PBKDF2 failed while deriving the id key");
  }
  fingerprint_ = KeyedDigest(kFingerprintInput);
}

Digest CryptConfig::KeyedDigest(ByteView data) const {
  Sha256Hasher h;
  h.Update(data);
  h.Update(id_key_);
  return h.Finish();
}

Digest CryptConfig::Sign(ByteView message) const { return HmacSha256(id_key_, message); }

std::string FingerprintFull(const Fingerprint& fp) { return ColonHex(fp); }

std::string FingerprintShort(const Fingerprint& fp) { return ColonHex(ByteView(fp).first(8)); }

std::optional<Fingerprint> ParseFingerprint(std::string_view text) {
  std::string hex;
  std::copy_if(text.begin(), text.end(), std::back_inserter(hex), [](char c) { return c != ':'; });
  std::optional<Bytes> bytes = FromHex(hex);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  Fingerprint fp;
  std::copy(bytes->begin(), bytes->end(), fp.begin());
  return fp;
}

}  // namespace cairn
