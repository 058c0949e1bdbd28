// Writes one new snapshot into a datastore following PBS's writer rules (spec §9.5): shared
// chunk-store lock (no GC meanwhile), exclusive group and snapshot locks, owner file for a
// new group, backup time strictly after the newest snapshot, every file written under a
// temporary name and renamed, the manifest last. A snapshot whose writer is destroyed
// without Finish() is removed again, so a failed backup leaves nothing behind.
#pragma once

#include <memory>
#include <string>

#include "core/format/manifest.h"
#include "core/store/datastore.h"
#include "core/write/chunk_inserter.h"

namespace cairn {

inline constexpr char kDefaultOwner[] = "root@pam";

class SnapshotWriter {
 public:
  // Starts `snapshot` in `datastore`. `crypt` (may be null) encrypts chunks and blobs and
  // signs the manifest; it must outlive the writer. Throws kBusy when GC or another writer
  // holds a lock, kInvalidInput when the time is not after the group's newest snapshot.
  SnapshotWriter(const Datastore& datastore, Snapshot snapshot, const CryptConfig* crypt,
                 std::string owner = kDefaultOwner);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  const Snapshot& snapshot() const { return snapshot_; }
  const CryptConfig* crypt() const { return crypt_; }
  ChunkInserter& chunks() { return chunks_; }

  // Adds `<name>` (ending in .blob) holding `data`, compressed and, with a key, encrypted.
  void AddBlob(const std::string& name, ByteView data);
  // Adds an index file (REQUIRES name ends in .fidx or .didx) with its manifest size and
  // csum; it is written as <stem>.tmp_fidx/.tmp_didx and renamed.
  void AddIndex(const std::string& name, ByteView file, uint64_t size, const Digest& csum);

  // Syncs the file system, then writes index.json.blob (signed when encrypting) with every
  // added file and the chunk statistics. The snapshot is complete afterwards.
  void Finish();

 private:
  void CheckNewName(const std::string& name) const;

  const Datastore* datastore_;
  Snapshot snapshot_;
  const CryptConfig* crypt_;
  BackupLock store_lock_;     // shared .lock: keeps GC from running
  BackupLock group_lock_;     // exclusive group lock
  BackupLock snapshot_lock_;  // exclusive snapshot lock
  std::filesystem::path dir_; // the snapshot directory
  ChunkInserter chunks_;
  Manifest manifest_;
  bool finished_ = false;
};

}  // namespace cairn
