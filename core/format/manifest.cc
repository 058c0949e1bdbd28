#include "core/format/manifest.h"

#include <algorithm>
#include <limits>

#include "core/format/canonical_json.h"
#include "core/format/json_fields.h"
#include "core/util/error.h"
#include "core/util/hex.h"

namespace cairn {
namespace {

using nlohmann::json;

// serde_json refuses deeper documents, so PBS never wrote one; refusing them too keeps the
// recursive walks below (and nlohmann's recursive dump) within a small, fixed stack.
constexpr int kMaxJsonDepth = 128;

constexpr std::string_view kBackupTypes[] = {"vm", "ct", "host"};

const JsonFields kFields("manifest");

bool DeeperThan(const json& value, int limit) {
  if (!value.is_structured()) return false;
  if (limit == 0) return true;
  for (const json& child : value) {
    if (DeeperThan(child, limit - 1)) return true;
  }
  return false;
}

ManifestFile ParseFile(const json& entry, const std::string& path) {
  if (!entry.is_object()) kFields.Fail(path, "is not an object");
  ManifestFile file;
  file.filename = kFields.String(kFields.Member(entry, "filename", path + ".filename"), path + ".filename");
  auto mode = entry.find("crypt-mode");
  if (mode != entry.end()) {
    std::optional<CryptMode> parsed = ParseCryptMode(kFields.String(*mode, path + ".crypt-mode"));
    if (!parsed) kFields.Fail(path + ".crypt-mode", "is not one of none, encrypt, sign-only");
    file.crypt_mode = *parsed;
  }
  file.size = kFields.Uint64(kFields.Member(entry, "size", path + ".size"), path + ".size");
  std::string csum = kFields.String(kFields.Member(entry, "csum", path + ".csum"), path + ".csum");
  std::optional<Bytes> digest = FromHex(csum);
  if (csum.size() != 64 || !digest) kFields.Fail(path + ".csum", "is not 64 hex characters");
  std::copy(digest->begin(), digest->end(), file.csum.begin());
  return file;
}

json FileToJson(const ManifestFile& file) {
  return json{{"crypt-mode", CryptModeName(file.crypt_mode)},
              {"csum", ToHex(file.csum)},
              {"filename", file.filename},
              {"size", file.size}};
}

// The members of the top level that Parse reads itself; everything else is an unknown field.
bool IsKnownTopLevel(const std::string& key) {
  return key == "backup-type" || key == "backup-id" || key == "backup-time" || key == "files" ||
         key == "unprotected" || key == "signature";
}

std::string DumpJson(const json& value, int indent) {
  try {
    return value.dump(indent, ' ', /*ensure_ascii=*/false, json::error_handler_t::strict);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kInvalidInput, std::string("cannot write manifest JSON: ") + e.what());
  }
}

}  // namespace

std::string_view CryptModeName(CryptMode mode) {
  switch (mode) {
    case CryptMode::kNone: return "none";
    case CryptMode::kEncrypt: return "encrypt";
    case CryptMode::kSignOnly: return "sign-only";
  }
  return "none";
}

std::optional<CryptMode> ParseCryptMode(std::string_view name) {
  for (CryptMode mode : {CryptMode::kNone, CryptMode::kEncrypt, CryptMode::kSignOnly}) {
    if (name == CryptModeName(mode)) return mode;
  }
  return std::nullopt;
}

Manifest::Manifest() : unprotected_(json::object()), unknown_fields_(json::object()) {}

Manifest::Manifest(std::string backup_type, std::string backup_id, int64_t backup_time)
    : backup_type_(std::move(backup_type)),
      backup_id_(std::move(backup_id)),
      backup_time_(backup_time),
      unprotected_(json::object()),
      unknown_fields_(json::object()) {}

Manifest Manifest::Parse(std::string_view json_text) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("manifest is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw Error(ErrorKind::kCorrupt, "manifest is not a JSON object");
  if (DeeperThan(doc, kMaxJsonDepth)) {
    throw Error(ErrorKind::kCorrupt,
                "manifest JSON is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  }

  Manifest m;
  m.backup_type_ = kFields.String(kFields.Member(doc, "backup-type", "backup-type"), "backup-type");
  if (std::find(std::begin(kBackupTypes), std::end(kBackupTypes), m.backup_type_) == std::end(kBackupTypes)) {
    kFields.Fail("backup-type", "is not one of vm, ct, host");
  }
  m.backup_id_ = kFields.String(kFields.Member(doc, "backup-id", "backup-id"), "backup-id");
  m.backup_time_ = kFields.Int64(kFields.Member(doc, "backup-time", "backup-time"), "backup-time");

  const json& files = kFields.Member(doc, "files", "files");
  if (!files.is_array()) kFields.Fail("files", "is not an array");
  m.files_.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    m.files_.push_back(ParseFile(files[i], "files[" + std::to_string(i) + "]"));
  }

  // Both are Option/Value in PBS, so null is the same as absent.
  auto unprotected = doc.find("unprotected");
  if (unprotected != doc.end() && !unprotected->is_null()) {
    if (!unprotected->is_object()) kFields.Fail("unprotected", "is not an object");
    m.unprotected_ = std::move(*unprotected);
  }
  auto signature = doc.find("signature");
  if (signature != doc.end() && !signature->is_null()) {
    m.signature_ = kFields.String(*signature, "signature");
  }

  for (auto& [key, value] : doc.items()) {
    if (IsKnownTopLevel(key)) continue;
    // Unknown fields are signed too, so they must be representable in canonical JSON.
    if (std::optional<std::string> bad = FindNonCanonicalValue(value)) {
      std::string path = key;
      if (!bad->empty()) path += (bad->front() == '[' ? "" : ".") + *bad;
      kFields.Fail(path, "is null or a floating-point number, which the signature cannot cover");
    }
    m.unknown_fields_[key] = std::move(value);
  }

  m.key_fingerprint();  // rejects a malformed key-fingerprint now rather than at first use
  return m;
}

const ManifestFile* Manifest::Find(std::string_view filename) const {
  for (const ManifestFile& file : files_) {
    if (file.filename == filename) return &file;
  }
  return nullptr;
}

std::optional<Fingerprint> Manifest::key_fingerprint() const {
  auto it = unprotected_.find("key-fingerprint");
  if (it == unprotected_.end() || it->is_null()) return std::nullopt;
  std::optional<Fingerprint> fp;
  if (it->is_string()) fp = ParseFingerprint(it->get<std::string>());
  if (!fp) kFields.Fail("unprotected.key-fingerprint", "is not a key fingerprint");
  return fp;
}

std::optional<std::string> Manifest::notes() const {
  auto it = unprotected_.find("notes");
  if (it == unprotected_.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

void Manifest::set_notes(std::string notes) {
  unprotected_["notes"] = std::move(notes);
}

std::optional<SnapshotVerifyState> Manifest::verify_state() const {
  auto it = unprotected_.find("verify_state");
  if (it == unprotected_.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) kFields.Fail("unprotected.verify_state", "is not an object");
  SnapshotVerifyState result;
  std::string state = kFields.String(kFields.Member(*it, "state", "unprotected.verify_state.state"),
                                    "unprotected.verify_state.state");
  if (state == "ok") {
    result.state = VerifyState::kOk;
  } else if (state == "failed") {
    result.state = VerifyState::kFailed;
  } else {
    kFields.Fail("unprotected.verify_state.state", "is not one of ok, failed");
  }
  result.upid = kFields.String(kFields.Member(*it, "upid", "unprotected.verify_state.upid"),
                              "unprotected.verify_state.upid");
  return result;
}

void Manifest::set_verify_state(const SnapshotVerifyState& state) {
  unprotected_["verify_state"] =
      json{{"state", state.state == VerifyState::kOk ? "ok" : "failed"}, {"upid", state.upid}};
}

json Manifest::SignedObject() const {
  json doc = unknown_fields_;
  doc["backup-type"] = backup_type_;
  doc["backup-id"] = backup_id_;
  doc["backup-time"] = backup_time_;
  json files = json::array();
  for (const ManifestFile& file : files_) files.push_back(FileToJson(file));
  doc["files"] = std::move(files);
  return doc;
}

std::string Manifest::SignedContent() const {
  return CanonicalJson(SignedObject());
}

void Manifest::Sign(const CryptConfig& crypt) {
  if (!unprotected_.is_object()) {
    throw Error(ErrorKind::kInvalidInput, "cannot sign manifest: its 'unprotected' member is not an object");
  }
  signature_ = ToHex(crypt.Sign(AsBytes(SignedContent())));
  unprotected_["key-fingerprint"] = FingerprintFull(crypt.fingerprint());
}

void Manifest::VerifySignature(const CryptConfig* crypt) const {
  // The fingerprint first: it tells a wrong key apart from a tampered manifest.
  if (std::optional<Fingerprint> fp = key_fingerprint()) {
    if (crypt == nullptr) {
      throw Error(ErrorKind::kCrypto, "missing key: manifest was made with key " + FingerprintShort(*fp) +
                                          ", which is needed to use it");
    }
    if (*fp != crypt->fingerprint()) {
      throw Error(ErrorKind::kCrypto, "wrong key: manifest was signed with key " + FingerprintShort(*fp) +
                                          ", given key is " + FingerprintShort(crypt->fingerprint()));
    }
  }
  if (!signature_) return;
  if (crypt == nullptr) {
    throw Error(ErrorKind::kCrypto, "missing key: manifest is signed and a key is needed to verify it");
  }
  if (*signature_ != ToHex(crypt->Sign(AsBytes(SignedContent())))) {
    throw Error(ErrorKind::kCrypto,
                "manifest signature does not match: the manifest was modified or signed with another key");
  }
}

std::string Manifest::ToJson() const {
  json doc = SignedObject();
  doc["unprotected"] = unprotected_;
  doc["signature"] = signature_ ? json(*signature_) : json(nullptr);
  return DumpJson(doc, 2);
}

}  // namespace cairn
