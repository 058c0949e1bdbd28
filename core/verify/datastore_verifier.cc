#include "core/verify/datastore_verifier.h"

#include <algorithm>

#include "core/store/snapshot_reader.h"
#include "core/util/bounded_tasks.h"
#include "core/util/error.h"
#include "core/util/thread_pool.h"
#include "core/verify/chunk_check.h"

namespace cairn {

DatastoreVerifier::DatastoreVerifier(const Datastore& datastore, const CryptConfig* crypt,
                                     std::function<void(uint64_t)> progress, size_t max_in_flight)
    : datastore_(&datastore), crypt_(crypt), progress_(std::move(progress)), max_in_flight_(std::max<size_t>(1, max_in_flight)) {}

void DatastoreVerifier::RecordChunk(const Digest& digest, uint64_t bytes, const std::string& where,
                                    const std::string* error) {
  std::lock_guard lock(mu_);
  report_.chunks += 1;
  report_.chunk_bytes += bytes;
  if (error != nullptr) {
    BadChunk& bad = report_.bad_chunks[digest];
    bad.error = *error;
    bad.affected.insert(where);
  }
}

template <typename Index>
void DatastoreVerifier::VerifyIndexChunks(const std::string& where, const Index& index, bool encrypted,
                                          const CryptConfig* crypt) {
  ThreadPool pool(ThreadPool::DefaultSize());
  BoundedTasks tasks(max_in_flight_);
  const ChunkStore& store = *datastore_->chunk_store();
  for (size_t i = 0; i < index.chunk_count(); ++i) {
    const Digest& digest = index.digest(i);
    {
      std::lock_guard lock(mu_);
      auto bad = report_.bad_chunks.find(digest);
      if (bad != report_.bad_chunks.end()) bad->second.affected.insert(where);
      if (!checked_.insert(digest).second) continue;
    }
    size_t length = static_cast<size_t>(index.chunk_length(i));
    tasks.Acquire();
    pool.Submit([&, digest, length] {
      std::string error;
      try {
        CheckChunk(store.Fetch(digest), digest, length, encrypted, crypt);
      } catch (const Error& e) {
        error = e.what();
      } catch (const std::exception& e) {
        error = e.what();
      }
      RecordChunk(digest, length, where, error.empty() ? nullptr : &error);
      tasks.Release();
    });
    if (progress_) {
      std::lock_guard lock(mu_);
      progress_(report_.chunk_bytes);
    }
  }
  tasks.WaitAll();
}

void DatastoreVerifier::VerifySnapshot(const Snapshot& snapshot) {
  const std::string path = snapshot.DisplayPath();
  auto fail = [&](const std::string& message) {
    std::lock_guard lock(mu_);
    report_.errors.push_back(message);
    report_.failed_snapshots.insert(path);
  };
  report_.snapshots += 1;
  std::optional<SnapshotReader> reader;
  try {
    reader.emplace(*datastore_, snapshot, crypt_);
  } catch (const Error& e) {
    return fail(path + ": " + e.what());
  }
  for (const ManifestFile& file : reader->manifest().files()) {
    report_.archives += 1;
    std::string where = path + "/" + file.filename;
    try {
      bool encrypted = file.crypt_mode == CryptMode::kEncrypt;
      std::optional<ArchiveKind> kind = ArchiveKindOf(file.filename);
      if (!kind) throw Error(ErrorKind::kCorrupt, "manifest lists '" + file.filename + "', which is no archive type");
      if (*kind == ArchiveKind::kBlob) {
        // Without the key an encrypted blob can only be checked against the manifest csum,
        // which ReadBlob does before decoding; the decode then fails for want of a key.
        if (encrypted && crypt_ == nullptr) {
          try {
            reader->ReadBlob(file.filename);
          } catch (const Error& e) {
            if (e.kind() != ErrorKind::kCrypto) throw;
          }
        } else {
          reader->ReadBlob(file.filename);
        }
      } else if (*kind == ArchiveKind::kFixedIndex) {
        VerifyIndexChunks(where, reader->OpenFixedIndex(file.filename), encrypted, encrypted ? crypt_ : nullptr);
      } else {
        VerifyIndexChunks(where, reader->OpenDynamicIndex(file.filename), encrypted, encrypted ? crypt_ : nullptr);
      }
    } catch (const Error& e) {
      fail(e.what());
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& [digest, bad] : report_.bad_chunks) {
    for (const std::string& affected : bad.affected) {
      if (affected.compare(0, path.size() + 1, path + "/") == 0) report_.failed_snapshots.insert(path);
    }
  }
}

void DatastoreVerifier::VerifyGroup(const BackupGroup& group) {
  for (const Snapshot& snapshot : datastore_->ListSnapshots(group)) VerifySnapshot(snapshot);
}

void DatastoreVerifier::VerifyNamespace(const BackupNamespace& ns, bool recursive) {
  for (const BackupGroup& group : datastore_->ListGroups(ns)) VerifyGroup(group);
  if (!recursive) return;
  for (const BackupNamespace& child : datastore_->ListNamespaces(ns)) VerifyNamespace(child, true);
}

}  // namespace cairn
