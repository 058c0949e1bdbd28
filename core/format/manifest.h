// The snapshot manifest (spec §5): the JSON payload of index.json.blob, listing every
// archive of a snapshot with its size and checksum, optionally signed with the backup key.
//
//   {
//     "backup-id": "elsa", "backup-time": 1593179765, "backup-type": "host",
//     "files": [{"crypt-mode": "encrypt", "csum": "<64 hex>", "filename": "x.img.fidx",
//                "size": 200}],
//     "signature": "<64 hex>" | null,
//     "unprotected": {"key-fingerprint": "xx:xx:...", "notes": "...", ...}
//   }
//
// Everything except "unprotected" and "signature" is covered by the signature.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/crypto/crypt_config.h"
#include "core/crypto/sha256.h"

namespace cairn {

// How the archives of a backup were protected (spec §6.3).
enum class CryptMode { kNone, kEncrypt, kSignOnly };

// "none", "encrypt" or "sign-only", the spelling used in manifests and on the command line.
std::string_view CryptModeName(CryptMode mode);
// The inverse of CryptModeName; nullopt for any other text.
std::optional<CryptMode> ParseCryptMode(std::string_view name);

// One archive of a snapshot. What size and csum mean depends on the archive type (§5.3).
struct ManifestFile {
  std::string filename;  // e.g. "drive-scsi0.img.fidx", "root.pxar.didx", "qemu-server.conf.blob"
  CryptMode crypt_mode = CryptMode::kNone;
  uint64_t size = 0;
  Digest csum{};
};

// The result of the last verify job, kept in unprotected.verify_state.
enum class VerifyState { kOk, kFailed };

struct SnapshotVerifyState {
  VerifyState state = VerifyState::kOk;
  std::string upid;  // the verify task, "UPID:<node>:...:"
};

class Manifest {
 public:
  // An empty, unsigned manifest (backup-type "", no files, unprotected {}).
  Manifest();
  Manifest(std::string backup_type, std::string backup_id, int64_t backup_time);

  // Fuzzable entry point: parses manifest JSON, as PBS writes it or any equivalent layout.
  // Throws Error(kCorrupt) naming the offending field ("manifest field 'files[2].csum' is not
  // 64 hex characters") for invalid JSON, nesting deeper than 128 levels (serde_json's limit),
  // missing or mistyped fields, a backup-type other than vm/ct/host, an unknown crypt-mode, a
  // malformed unprotected.key-fingerprint, or a null or floating-point value in the signed
  // part. A missing crypt-mode means "none" (manifests before PBS 0.8). Unknown top-level
  // fields are kept (and written back by ToJson); unknown keys inside a file entry are
  // dropped, as PBS drops them. Does not check the signature: see VerifySignature.
  static Manifest Parse(std::string_view json_text);

  const std::string& backup_type() const { return backup_type_; }
  void set_backup_type(std::string type) { backup_type_ = std::move(type); }
  const std::string& backup_id() const { return backup_id_; }
  void set_backup_id(std::string id) { backup_id_ = std::move(id); }
  int64_t backup_time() const { return backup_time_; }
  void set_backup_time(int64_t epoch) { backup_time_ = epoch; }

  // Changing the files after Sign() invalidates the signature until Sign() is called again.
  const std::vector<ManifestFile>& files() const { return files_; }
  std::vector<ManifestFile>& mutable_files() { return files_; }

  // The archive called `filename`, or nullptr. The pointer is valid until files change.
  const ManifestFile* Find(std::string_view filename) const;

  // Free-form members not covered by the signature (§5.2). Always a JSON object.
  const nlohmann::json& unprotected() const { return unprotected_; }
  // REQUIRES: the caller leaves it an object.
  nlohmann::json& mutable_unprotected() { return unprotected_; }

  // Top-level members this code does not know, kept so that rewriting the manifest does not
  // lose them. They are part of the signed content. Always a JSON object.
  const nlohmann::json& unknown_fields() const { return unknown_fields_; }

  // The hex HMAC, or nullopt for an unsigned manifest ("signature": null).
  const std::optional<std::string>& signature() const { return signature_; }
  void clear_signature() { signature_.reset(); }

  // unprotected.key-fingerprint: the key the backup was made with. nullopt when absent or
  // null; throws Error(kCorrupt) when it is not a fingerprint.
  std::optional<Fingerprint> key_fingerprint() const;

  // unprotected.notes, the user's comment (its first line is shown as the snapshot's
  // comment). nullopt when absent or not a string, as PBS treats it.
  std::optional<std::string> notes() const;
  void set_notes(std::string notes);

  // unprotected.verify_state. nullopt when absent or null; throws Error(kCorrupt) when it is
  // not {"state": "ok"|"failed", "upid": string}.
  std::optional<SnapshotVerifyState> verify_state() const;
  void set_verify_state(const SnapshotVerifyState& state);

  // The bytes the signature covers: canonical JSON (§5.4) of the manifest without
  // "unprotected" and "signature", i.e. backup-id, backup-time, backup-type, files and any
  // unknown top-level fields. (PBS verifies over the parsed JSON minus those two members, so
  // unknown fields are signed too.) Throws Error(kInvalidInput) if an unknown field or a
  // string cannot be written canonically.
  std::string SignedContent() const;

  // Sets the signature to hex(HMAC-SHA256(id_key, SignedContent())) and
  // unprotected.key-fingerprint to the key's full fingerprint, as the PBS client does.
  void Sign(const CryptConfig& crypt);

  // Checks the manifest against a key (or against having none), combining what PBS checks
  // when it loads a manifest and when a client restores from it. Throws Error(kCrypto) when:
  //   - it carries a key-fingerprint and crypt is null ("... needs key <short fp> ...");
  //   - it carries a key-fingerprint other than crypt's fingerprint ("wrong key: manifest
  //     was signed with key <short fp>, given key is <short fp>");
  //   - it is signed and crypt is null (a key is needed to verify it);
  //   - it is signed and the HMAC does not match.
  // An unsigned manifest without key-fingerprint is accepted with or without a key.
  void VerifySignature(const CryptConfig* crypt) const;

  // Pretty-printed JSON as PBS writes it: keys sorted, 2-space indentation, `"key": value`,
  // non-ASCII unescaped, "signature": null when unsigned, no trailing newline. Throws
  // Error(kInvalidInput) when a string is not valid UTF-8.
  std::string ToJson() const;

 private:
  // The signed members plus unknown fields, as one JSON object.
  nlohmann::json SignedObject() const;

  std::string backup_type_;               // "vm", "ct" or "host" (not checked when set)
  std::string backup_id_;                 // the group's id
  int64_t backup_time_ = 0;               // epoch seconds, the snapshot's directory time
  std::vector<ManifestFile> files_;       // every archive except the manifest and client.log.blob
  nlohmann::json unprotected_;            // object; not covered by the signature
  nlohmann::json unknown_fields_;         // object; unknown top-level members, kept verbatim
  std::optional<std::string> signature_;  // lowercase hex HMAC-SHA256, as stored
};

}  // namespace cairn
