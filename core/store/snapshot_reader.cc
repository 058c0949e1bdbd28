#include "core/store/snapshot_reader.h"

#include "core/format/blob.h"
#include "core/store/group_directory.h"
#include "core/util/error.h"
#include "core/util/file.h"
#include "core/util/hex.h"

namespace cairn {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Manifest ReadManifestUnlocked(const Datastore& datastore, const Snapshot& snapshot) {
  return GroupDirectory(datastore, snapshot.group).ReadManifest(snapshot);
}

std::optional<ArchiveKind> ArchiveKindOf(std::string_view filename) {
  if (EndsWith(filename, ".fidx")) return ArchiveKind::kFixedIndex;
  if (EndsWith(filename, ".didx")) return ArchiveKind::kDynamicIndex;
  if (EndsWith(filename, ".blob")) return ArchiveKind::kBlob;
  return std::nullopt;
}

SnapshotReader::SnapshotReader(const Datastore& datastore, Snapshot snapshot, const CryptConfig* crypt)
    : datastore_(&datastore),
      snapshot_(std::move(snapshot)),
      crypt_(crypt),
      lock_(datastore.locker().LockSnapshotShared(snapshot_)),
      manifest_(ReadManifestUnlocked(datastore, snapshot_)) {  // under lock_, taken just before
  if (manifest_.backup_time() != snapshot_.time || manifest_.backup_id() != snapshot_.group.id ||
      manifest_.backup_type() != BackupTypeName(snapshot_.group.type)) {
    throw Error(ErrorKind::kCorrupt, Describe(kManifestBlobName) + ": manifest names " + manifest_.backup_type() + "/" +
                                         manifest_.backup_id() + " at " + std::to_string(manifest_.backup_time()) +
                                         ", not the snapshot it is stored in");
  }
  // Without a key an encrypted snapshot can still be listed; its data stays unreadable
  // (CryptFor). With a key, a signature that does not verify means wrong key or tampering.
  if (crypt_ == nullptr) return;
  try {
    manifest_.VerifySignature(crypt_);
  } catch (const Error& e) {
    throw e.WithContext(Describe(kManifestBlobName));
  }
}

std::string SnapshotReader::Describe(std::string_view filename) const {
  return (datastore_->PathOf(snapshot_) / std::string(filename)).string();
}

std::string SnapshotReader::ResolveFileName(std::string_view name) const {
  if (name == kClientLogBlobName || name == "client.log") {
    std::error_code ec;
    if (std::filesystem::exists(datastore_->PathOf(snapshot_) / kClientLogBlobName, ec)) return kClientLogBlobName;
  }
  if (name == kManifestBlobName || name == "index.json") return kManifestBlobName;
  for (const ManifestFile& f : manifest_.files()) {
    if (f.filename == name) return f.filename;
  }
  for (const ManifestFile& f : manifest_.files()) {
    std::string_view stored = f.filename;
    if (stored.size() > name.size() && stored.substr(0, name.size()) == name && stored[name.size()] == '.' &&
        ArchiveKindOf(stored) && stored.find('.', name.size() + 1) == std::string_view::npos) {
      return f.filename;
    }
  }
  std::string have;
  for (const ManifestFile& f : manifest_.files()) have += (have.empty() ? "" : ", ") + f.filename;
  throw Error(ErrorKind::kNotFound, "snapshot " + snapshot_.DisplayPath() + " has no file '" + std::string(name) +
                                        "' (it has: " + have + ")");
}

const ManifestFile& SnapshotReader::EntryFor(std::string_view filename) const {
  const ManifestFile* f = manifest_.Find(filename);
  if (f == nullptr) {
    throw Error(ErrorKind::kNotFound, "snapshot " + snapshot_.DisplayPath() + " has no file '" + std::string(filename) + "'");
  }
  return *f;
}

const CryptConfig* SnapshotReader::CryptFor(const ManifestFile& file) const {
  if (file.crypt_mode != CryptMode::kEncrypt) return nullptr;
  if (crypt_ == nullptr) {
    throw Error(ErrorKind::kCrypto, Describe(file.filename) + " is encrypted; give its key with --keyfile");
  }
  return crypt_;
}

Bytes SnapshotReader::ReadBlob(std::string_view filename) const {
  std::filesystem::path path = datastore_->PathOf(snapshot_) / std::string(filename);
  Bytes raw = ReadWholeFile(path, kMaxBlobSize + kEncryptedBlobHeaderSize + 4096);
  const CryptConfig* crypt = crypt_;
  // The manifest and the client log are not listed in the manifest: CRC checks only.
  if (filename != kClientLogBlobName && filename != kManifestBlobName) {
    const ManifestFile& entry = EntryFor(filename);
    if (raw.size() != entry.size) {
      throw Error(ErrorKind::kCorrupt, path.string() + " is " + std::to_string(raw.size()) + " bytes, the manifest says " +
                                           std::to_string(entry.size));
    }
    Digest csum = Sha256(raw);
    if (csum != entry.csum) {
      throw Error(ErrorKind::kCorrupt, path.string() + " does not match its manifest checksum (expected " +
                                           ToHex(entry.csum) + ", found " + ToHex(csum) + ")");
    }
    crypt = ParseBlob(raw).encrypted() ? CryptFor(entry) : nullptr;
  }
  try {
    return DecodeBlob(raw, crypt);
  } catch (const Error& e) {
    throw e.WithContext(path.string());
  }
}

template <typename Index>
Index SnapshotReader::OpenIndex(std::string_view filename) const {
  const ManifestFile& entry = EntryFor(filename);
  Index index = Index::Open(datastore_->PathOf(snapshot_) / std::string(filename));
  if (index.size() != entry.size || index.csum() != entry.csum) {
    throw Error(ErrorKind::kCorrupt, Describe(filename) + " does not match its manifest entry (size " +
                                         std::to_string(index.size()) + " vs " + std::to_string(entry.size) +
                                         ", csum " + ToHex(index.csum()) + " vs " + ToHex(entry.csum) + ")");
  }
  return index;
}

FixedIndex SnapshotReader::OpenFixedIndex(std::string_view filename) const { return OpenIndex<FixedIndex>(filename); }

DynamicIndex SnapshotReader::OpenDynamicIndex(std::string_view filename) const {
  return OpenIndex<DynamicIndex>(filename);
}

}  // namespace cairn
