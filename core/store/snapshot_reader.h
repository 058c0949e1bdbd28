// One finished snapshot opened for reading: its manifest (signature verified when a key is
// given), its blobs and indexes, each checked against the manifest's size and csum before
// use (spec §5.3). Holds the shared snapshot lock for its lifetime (spec §9.4), so PBS cannot
// prune the snapshot while we read it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/crypto/crypt_config.h"
#include "core/format/dynamic_index.h"
#include "core/format/fixed_index.h"
#include "core/format/manifest.h"
#include "core/store/datastore.h"

namespace cairn {

inline constexpr char kManifestBlobName[] = "index.json.blob";
inline constexpr char kClientLogBlobName[] = "client.log.blob";

enum class ArchiveKind { kFixedIndex, kDynamicIndex, kBlob };

// The kind of a stored file by its extension (.fidx, .didx, .blob); nullopt for others.
std::optional<ArchiveKind> ArchiveKindOf(std::string_view filename);

// Reads and parses a snapshot's index.json.blob without taking the snapshot lock. Listings
// read every manifest of a datastore; PBS's own listing reads them unlocked too, and the
// blob is replaced atomically, so the worst case is kNotFound for a snapshot pruned meanwhile.
// Errors name the file.
Manifest ReadManifestUnlocked(const Datastore& datastore, const Snapshot& snapshot);

class SnapshotReader {
 public:
  // Opens `snapshot` of `datastore`. `crypt` (may be null) must outlive the reader. Throws
  // kBusy when the snapshot is locked exclusively, kCorrupt for a damaged manifest, kCrypto
  // when the signature does not verify with the given key. Without a key the signature is
  // not checked, so that encrypted snapshots can be listed.
  SnapshotReader(const Datastore& datastore, Snapshot snapshot, const CryptConfig* crypt);

  const Datastore& datastore() const { return *datastore_; }
  const Snapshot& snapshot() const { return snapshot_; }
  const Manifest& manifest() const { return manifest_; }
  const CryptConfig* crypt() const { return crypt_; }

  // Maps a user's file name to the stored one: "drive-scsi0.img" -> "drive-scsi0.img.fidx",
  // "qemu-server.conf" -> "qemu-server.conf.blob"; exact names pass. Also finds
  // client.log.blob, which is not in the manifest. Throws kNotFound listing what exists.
  std::string ResolveFileName(std::string_view name) const;

  // Reads and decodes a blob of this snapshot; checks size and csum against the manifest
  // (index.json.blob and client.log.blob have no manifest entry and are only CRC-checked).
  Bytes ReadBlob(std::string_view filename) const;
  FixedIndex OpenFixedIndex(std::string_view filename) const;
  DynamicIndex OpenDynamicIndex(std::string_view filename) const;

  // The key to decode `file`'s chunks with: null for crypt-mode none/sign-only; the reader's
  // key for `encrypt`, or throws kCrypto when no key was given.
  const CryptConfig* CryptFor(const ManifestFile& file) const;

  // "<datastore>/<snapshot path>/<filename>", the prefix of every error about the file.
  std::string Describe(std::string_view filename) const;

 private:
  const ManifestFile& EntryFor(std::string_view filename) const;
  template <typename Index>
  Index OpenIndex(std::string_view filename) const;

  const Datastore* datastore_;
  Snapshot snapshot_;
  const CryptConfig* crypt_;
  BackupLock lock_;  // shared snapshot lock, held while this reader lives
  Manifest manifest_;
};

}  // namespace cairn
