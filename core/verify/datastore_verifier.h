// `cairn verify`: checks snapshots completely — manifest, every blob and index against the
// manifest, every chunk they reference (each distinct chunk once, on all cores) — and
// reports what is damaged and which snapshots it affects. Never writes anything.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/crypto/crypt_config.h"
#include "core/store/datastore.h"

namespace cairn {

struct BadChunk {
  std::string error;                       // what failed (missing, CRC, digest, ...)
  std::set<std::string> affected;          // "snapshot path/archive" that reference it
};

struct VerifyReport {
  uint64_t snapshots = 0;                  // snapshots checked
  uint64_t archives = 0;                   // blobs and indexes checked
  uint64_t chunks = 0;                     // distinct chunks checked
  uint64_t chunk_bytes = 0;                // their plaintext bytes
  std::vector<std::string> errors;         // problems other than chunks (manifest, index, blob)
  std::map<Digest, BadChunk> bad_chunks;   // keyed by digest, sorted
  std::set<std::string> failed_snapshots;  // snapshot paths with any problem

  bool ok() const { return errors.empty() && bad_chunks.empty(); }
};

class DatastoreVerifier {
 public:
  // `crypt` may be null: encrypted chunks then get CRC checks only. `progress` (may be
  // empty) receives plaintext bytes checked so far. At most `max_in_flight` chunks (at
  // least 1) are fetched and checked at once, which bounds memory at about twice that many
  // chunk sizes (encoded and decoded).
  DatastoreVerifier(const Datastore& datastore, const CryptConfig* crypt,
                    std::function<void(uint64_t)> progress = {}, size_t max_in_flight = 16);

  // Verifies one snapshot; problems go into the report, nothing is thrown for damage.
  void VerifySnapshot(const Snapshot& snapshot);
  // Every snapshot in `ns` and, with `recursive`, in its child namespaces.
  void VerifyNamespace(const BackupNamespace& ns, bool recursive);
  void VerifyGroup(const BackupGroup& group);

  const VerifyReport& report() const { return report_; }

 private:
  template <typename Index>
  void VerifyIndexChunks(const std::string& where, const Index& index, bool encrypted, const CryptConfig* crypt);
  void RecordChunk(const Digest& digest, uint64_t bytes, const std::string& where, const std::string* error);

  const Datastore* datastore_;
  const CryptConfig* crypt_;
  std::function<void(uint64_t)> progress_;
  const size_t max_in_flight_;
  std::mutex mu_;                                    // guards the members below
  VerifyReport report_;
  std::unordered_set<Digest, DigestHash> checked_;  // chunks already checked or queued
};

}  // namespace cairn
