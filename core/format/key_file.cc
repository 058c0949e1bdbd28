#include "core/format/key_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/format/json_fields.h"
#include "core/util/base64.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace cairn {
namespace {

using nlohmann::json;

// PBS passes this memory limit to scrypt; our own kMaxScryptMemory keeps us below it.
constexpr uint64_t kScryptMaxMem = uint64_t{1025} << 20;
constexpr size_t kSaltSize = 32;
constexpr size_t kWrappedKeySize = sizeof(GcmIv) + sizeof(GcmTag) + sizeof(AesKey);

const JsonFields kFields("key file");

std::string RequireString(const json& object, const char* key, const std::string& path) {
  return kFields.String(kFields.Member(object, key, path), path);
}

uint64_t RequireUint64(const json& object, const char* key, const std::string& path) {
  return kFields.Uint64(kFields.Member(object, key, path), path);
}

Bytes RequireBase64(const json& object, const char* key, const std::string& path) {
  std::optional<Bytes> bytes = Base64Decode(RequireString(object, key, path));
  if (!bytes) kFields.Fail(path, "is not base64");
  return *bytes;
}

// An optional string member; null counts as absent, as for serde's Option.
std::optional<std::string> OptionalString(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) kFields.Fail(key, "is not a string");
  return it->get<std::string>();
}

// Checks the limits of key_file.h; `kind` is the error to raise (corrupt file or bad input).
void CheckKdfLimits(const KeyDerivation& kdf, ErrorKind kind) {
  auto fail = [kind](const std::string& message) { throw Error(kind, "key derivation " + message); };
  if (const auto* s = std::get_if<ScryptParams>(&kdf)) {
    if (s->n < 2 || (s->n & (s->n - 1)) != 0)
      fail("scrypt n=" + std::to_string(s->n) + " is not a power of two");
    if (s->n > kMaxScryptN) fail("scrypt n=" + std::to_string(s->n) + " exceeds the limit of 2^20");
    if (s->r == 0 || s->p == 0) fail("scrypt r and p must be at least 1");
    // n * r * p without overflow: each step divides the limit instead of multiplying.
    if (s->r > kMaxScryptWork / s->n || s->p > kMaxScryptWork / (s->n * s->r)) {
      fail("scrypt n*r*p exceeds the limit of 2^24");
    }
    if (128 * s->n * s->r > kMaxScryptMemory) fail("scrypt would need more than 1 GiB of memory");
  } else if (const auto* p = std::get_if<Pbkdf2Params>(&kdf)) {
    if (p->iter == 0 || p->iter > kMaxPbkdf2Iterations) {
      fail("PBKDF2 iteration count " + std::to_string(p->iter) + " is not between 1 and 10000000");
    }
  }
}

// REQUIRES: kdf is within the limits and not monostate.
AesKey DeriveKey(const KeyDerivation& kdf, std::string_view password) {
  static const uint8_t kNoSalt[1] = {0};  // OpenSSL wants a pointer even for an empty salt
  AesKey out;
  if (const auto* s = std::get_if<ScryptParams>(&kdf)) {
    const uint8_t* salt = s->salt.empty() ? kNoSalt : s->salt.data();
    if (EVP_PBE_scrypt(password.data(), password.size(), salt, s->salt.size(), s->n, s->r, s->p,
                       kScryptMaxMem, out.data(), out.size()) != 1) {
      throw Error(ErrorKind::kCrypto, "scrypt key derivation failed");
    }
  } else if (const auto* p = std::get_if<Pbkdf2Params>(&kdf)) {
    if (password.size() > INT_MAX || p->salt.size() > INT_MAX) {
      throw Error(ErrorKind::kInvalidInput, "password or salt too long for PBKDF2");
    }
    const uint8_t* salt = p->salt.empty() ? kNoSalt : p->salt.data();
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                          static_cast<int>(p->salt.size()), static_cast<int>(p->iter), EVP_sha256(),
                          static_cast<int>(out.size()), out.data()) != 1) {
      throw Error(ErrorKind::kCrypto, "PBKDF2 key derivation failed");
    }
  }
  return out;
}

void CheckPassword(std::string_view password) {
  if (password.size() < kMinKeyPasswordLength) {
    throw Error(ErrorKind::kInvalidInput, "key file password is too short (at least " +
                                              std::to_string(kMinKeyPasswordLength) + " bytes are required)");
  }
}

KeyDerivation ParseKdf(const json& doc) {
  auto it = doc.find("kdf");
  if (it == doc.end() || it->is_null()) return std::monostate{};
  // serde's externally tagged enum: an object with exactly one member named after the variant.
  if (!it->is_object() || it->size() != 1) {
    kFields.Fail("kdf", R"(is not null, {"Scrypt":{...}} or {"PBKDF2":{...}})");
  }
  const std::string& variant = it->begin().key();
  const json& params = it->begin().value();
  if (variant == "Scrypt") {
    if (!params.is_object()) kFields.Fail("kdf.Scrypt", "is not an object");
    ScryptParams s;
    s.n = RequireUint64(params, "n", "kdf.Scrypt.n");
    s.r = RequireUint64(params, "r", "kdf.Scrypt.r");
    s.p = RequireUint64(params, "p", "kdf.Scrypt.p");
    s.salt = RequireBase64(params, "salt", "kdf.Scrypt.salt");
    return s;
  }
  if (variant == "PBKDF2") {
    if (!params.is_object()) kFields.Fail("kdf.PBKDF2", "is not an object");
    Pbkdf2Params p;
    p.iter = RequireUint64(params, "iter", "kdf.PBKDF2.iter");
    p.salt = RequireBase64(params, "salt", "kdf.PBKDF2.salt");
    return p;
  }
  kFields.Fail("kdf", "names an unknown key derivation '" + variant + "' (expected Scrypt or PBKDF2)");
}

// Times a key file can hold: one day inside the years 0000..9999, so that the local time
// ToJson writes stays four-digit whatever the time zone.
constexpr int64_t kMinKeyTime = -62167219200 + 86400;  // 0000-01-02T00:00:00Z
constexpr int64_t kMaxKeyTime = 253402300799 - 86400;  // 9999-12-30T23:59:59Z

std::string FormatKeyTime(int64_t epoch) {
  if (epoch < kMinKeyTime || epoch > kMaxKeyTime) {
    throw Error(ErrorKind::kInvalidInput,
                "key file time " + std::to_string(epoch) + " is outside the years 0..9999");
  }
  return FormatLocalRfc3339(epoch);
}

int64_t RequireTime(const json& doc, const char* key) {
  std::optional<int64_t> epoch = ParseRfc3339(RequireString(doc, key, key));
  if (!epoch || *epoch < kMinKeyTime || *epoch > kMaxKeyTime) {
    kFields.Fail(key, "is not an RFC 3339 time like 2024-06-10T08:13:20+02:00");
  }
  return *epoch;
}

}  // namespace

KeyFile KeyFile::Parse(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("key file is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw Error(ErrorKind::kCorrupt, "key file is not a JSON object");

  KeyFile file;
  file.kdf = ParseKdf(doc);
  CheckKdfLimits(file.kdf, ErrorKind::kCorrupt);
  file.created = RequireTime(doc, "created");
  file.modified = RequireTime(doc, "modified");
  file.data = RequireBase64(doc, "data", "data");
  size_t expected = file.needs_password() ? kWrappedKeySize : sizeof(AesKey);
  if (file.data.size() != expected) {
    kFields.Fail("data",
             "holds " + std::to_string(file.data.size()) + " bytes, expected " + std::to_string(expected));
  }
  if (std::optional<std::string> fp = OptionalString(doc, "fingerprint")) {
    file.fingerprint = ParseFingerprint(*fp);
    if (!file.fingerprint) kFields.Fail("fingerprint", "is not a key fingerprint");
  }
  file.hint = OptionalString(doc, "hint");
  return file;
}

KeyFile KeyFile::Create(const AesKey& key, KdfKind kind, std::string_view password) {
  KeyDerivation kdf;
  Bytes salt(kSaltSize);
  switch (kind) {
    case KdfKind::kNone: break;
    case KdfKind::kScrypt:
      RandomBytes(salt);
      kdf = ScryptParams{.salt = std::move(salt)};
      break;
    case KdfKind::kPbkdf2:
      RandomBytes(salt);
      kdf = Pbkdf2Params{.salt = std::move(salt)};
      break;
  }
  return Create(key, kdf, password);
}

KeyFile KeyFile::Create(const AesKey& key, const KeyDerivation& kdf, std::string_view password) {
  KeyFile file;
  file.kdf = kdf;
  if (!file.needs_password()) {
    if (!password.empty()) {
      throw Error(ErrorKind::kInvalidInput, "a key file without key derivation cannot have a password");
    }
    file.data.assign(key.begin(), key.end());
  } else {
    CheckPassword(password);
    CheckKdfLimits(kdf, ErrorKind::kInvalidInput);
    AesKey derived = DeriveKey(kdf, password);
    GcmIv iv;
    RandomBytes(iv);
    Bytes cipher;
    GcmTag tag = AesGcmEncrypt(derived, iv, key, cipher);
    OPENSSL_cleanse(derived.data(), derived.size());
    file.data.reserve(kWrappedKeySize);
    file.data.insert(file.data.end(), iv.begin(), iv.end());
    file.data.insert(file.data.end(), tag.begin(), tag.end());
    file.data.insert(file.data.end(), cipher.begin(), cipher.end());
  }
  file.created = file.modified = static_cast<int64_t>(std::time(nullptr));
  file.fingerprint = CryptConfig(key).fingerprint();
  return file;
}

AesKey KeyFile::Decrypt(std::string_view password) const {
  Bytes raw;
  if (!needs_password()) {
    raw = data;
  } else {
    CheckPassword(password);
    CheckKdfLimits(kdf, ErrorKind::kCorrupt);
    if (data.size() < sizeof(GcmIv) + sizeof(GcmTag)) {
      throw Error(ErrorKind::kCorrupt, "key file data is too short to hold a wrapped key");
    }
    AesKey derived = DeriveKey(kdf, password);
    ByteView wrapped(data);
    raw.resize(wrapped.size() - sizeof(GcmIv) - sizeof(GcmTag));
    bool ok =
        AesGcmDecrypt(derived, wrapped.first(sizeof(GcmIv)), wrapped.subspan(sizeof(GcmIv), sizeof(GcmTag)),
                      wrapped.subspan(sizeof(GcmIv) + sizeof(GcmTag)), raw);
    OPENSSL_cleanse(derived.data(), derived.size());
    if (!ok) throw Error(ErrorKind::kCrypto, "wrong password for key file");
  }
  if (raw.size() != sizeof(AesKey)) {
    throw Error(ErrorKind::kCorrupt,
                "key file holds a " + std::to_string(raw.size()) + "-byte key, expected 32");
  }
  AesKey key;
  std::copy(raw.begin(), raw.end(), key.begin());
  OPENSSL_cleanse(raw.data(), raw.size());
  if (fingerprint) {
    Fingerprint actual = CryptConfig(key).fingerprint();
    if (actual != *fingerprint) {
      throw Error(ErrorKind::kCrypto, "key file claims fingerprint " + FingerprintShort(*fingerprint) +
                                          " but the key inside has fingerprint " + FingerprintShort(actual));
    }
  }
  return key;
}

std::string KeyFile::ToJson() const {
  nlohmann::ordered_json doc;
  if (const auto* s = std::get_if<ScryptParams>(&kdf)) {
    doc["kdf"]["Scrypt"] = {{"n", s->n}, {"r", s->r}, {"p", s->p}, {"salt", Base64Encode(s->salt)}};
  } else if (const auto* p = std::get_if<Pbkdf2Params>(&kdf)) {
    doc["kdf"]["PBKDF2"] = {{"iter", p->iter}, {"salt", Base64Encode(p->salt)}};
  } else {
    doc["kdf"] = nullptr;
  }
  doc["created"] = FormatKeyTime(created);
  doc["modified"] = FormatKeyTime(modified);
  doc["data"] = Base64Encode(data);
  if (fingerprint) doc["fingerprint"] = FingerprintFull(*fingerprint);
  if (hint) doc["hint"] = *hint;
  try {
    return doc.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::strict);
  } catch (const nlohmann::ordered_json::exception& e) {
    throw Error(ErrorKind::kInvalidInput, std::string("cannot write key file JSON: ") + e.what());
  }
}

}  // namespace cairn
