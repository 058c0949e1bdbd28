#include "core/write/snapshot_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/format/blob.h"
#include "core/store/snapshot_reader.h"
#include "core/util/error.h"
#include "core/util/file.h"
#include "core/util/log.h"

namespace cairn {
namespace {

// mkdir that tolerates an existing directory; new directories belong to `backup`.
void EnsureDirectory(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) {
    ChownToBackupUser(dir);
  } else if (errno != EEXIST) {
    throw SystemError("cannot create " + dir.string(), errno);
  }
}

void EnsureDirectories(const std::filesystem::path& root, const std::filesystem::path& relative) {
  std::filesystem::path dir = root;
  for (const auto& part : relative) {
    dir /= part;
    EnsureDirectory(dir);
  }
}

void WriteOwnerIfNew(const std::filesystem::path& group_dir, const std::string& owner) {
  std::filesystem::path path = group_dir / "owner";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) {
    if (errno == EEXIST) return;
    throw SystemError("cannot create " + path.string(), errno);
  }
  WriteFull(fd.get(), AsBytes(owner + "\n"), path);
  ChownToBackupUser(path);
}

void SyncFileSystem(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::syncfs(fd.get()) != 0) throw SystemError("cannot sync the file system of " + dir.string(), errno);
}

}  // namespace

SnapshotWriter::SnapshotWriter(const Datastore& datastore, Snapshot snapshot, const CryptConfig* crypt,
                               std::string owner)
    : datastore_(&datastore),
      snapshot_(std::move(snapshot)),
      crypt_(crypt),
      store_lock_(datastore.locker().LockChunkStoreShared()),
      chunks_(datastore.root(), crypt),
      manifest_(std::string(BackupTypeName(snapshot_.group.type)), snapshot_.group.id, snapshot_.time) {
  if (snapshot_.time < 1) throw Error(ErrorKind::kInvalidInput, "backup time must be after 1970-01-01T00:00:00Z");
  EnsureDirectories(datastore.root(), snapshot_.group.RelativePath());
  group_lock_ = datastore.locker().LockGroupExclusive(snapshot_.group);
  WriteOwnerIfNew(datastore.PathOf(snapshot_.group), owner);
  std::vector<Snapshot> existing = datastore.ListSnapshots(snapshot_.group);
  if (!existing.empty() && existing.back().time >= snapshot_.time) {
    throw Error(ErrorKind::kInvalidInput, "backup time " + snapshot_.TimeString() +
                                              " is not after the newest snapshot of " + snapshot_.group.DisplayPath() +
                                              " (" + existing.back().TimeString() + ")");
  }
  dir_ = datastore.PathOf(snapshot_);
  if (::mkdir(dir_.c_str(), 0755) != 0) {
    if (errno == EEXIST) throw Error(ErrorKind::kInvalidInput, "snapshot directory " + dir_.string() + " already exists");
    throw SystemError("cannot create " + dir_.string(), errno);
  }
  ChownToBackupUser(dir_);
  try {
    snapshot_lock_ = datastore.locker().LockSnapshotExclusive(snapshot_);
  } catch (...) {
    ::rmdir(dir_.c_str());
    throw;
  }
}

SnapshotWriter::~SnapshotWriter() {
  if (finished_ || dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) Log(LogLevel::kError, "cannot remove the unfinished snapshot " + dir_.string() + ": " + ec.message());
}

void SnapshotWriter::CheckNewName(const std::string& name) const {
  if (!IsSafeName(name) || name == kManifestBlobName) {
    throw Error(ErrorKind::kInvalidInput, "'" + name + "' is not a valid archive name");
  }
  if (manifest_.Find(name) != nullptr) throw Error(ErrorKind::kInvalidInput, "archive '" + name + "' was added twice");
}

void SnapshotWriter::AddBlob(const std::string& name, ByteView data) {
  CheckNewName(name);
  if (ArchiveKindOf(name) != ArchiveKind::kBlob) throw Error(ErrorKind::kInvalidInput, "blob name '" + name + "' must end in .blob");
  Bytes encoded = EncodeBlob(data, crypt_, true);
  std::filesystem::path path = dir_ / name;
  WriteFileAtomic(path, encoded, ".tmp_");
  ChownToBackupUser(path);
  manifest_.mutable_files().push_back(
      ManifestFile{name, crypt_ ? CryptMode::kEncrypt : CryptMode::kNone, encoded.size(), Sha256(encoded)});
}

void SnapshotWriter::AddIndex(const std::string& name, ByteView file, uint64_t size, const Digest& csum) {
  CheckNewName(name);
  std::optional<ArchiveKind> kind = ArchiveKindOf(name);
  if (kind != ArchiveKind::kFixedIndex && kind != ArchiveKind::kDynamicIndex) {
    throw Error(ErrorKind::kInvalidInput, "index name '" + name + "' must end in .fidx or .didx");
  }
  std::string tmp = name.substr(0, name.size() - 4) + (kind == ArchiveKind::kFixedIndex ? "tmp_fidx" : "tmp_didx");
  std::filesystem::path path = dir_ / name;
  WriteFileAtomicVia(path, dir_ / tmp, file);
  ChownToBackupUser(path);
  manifest_.mutable_files().push_back(ManifestFile{name, crypt_ ? CryptMode::kEncrypt : CryptMode::kNone, size, csum});
}

void SnapshotWriter::Finish() {
  ChunkUploadStats stats = chunks_.stats();
  manifest_.mutable_unprotected()["chunk_upload_stats"] = {{"count", stats.count},
                                                           {"size", stats.size},
                                                           {"compressed_size", stats.compressed_size},
                                                           {"duplicates", stats.duplicates}};
  if (crypt_) manifest_.Sign(*crypt_);
  SyncFileSystem(dir_);
  std::filesystem::path path = dir_ / kManifestBlobName;
  WriteFileAtomic(path, EncodeBlob(AsBytes(manifest_.ToJson()), nullptr, true), ".tmp_");
  ChownToBackupUser(path);
  SyncFileSystem(dir_);
  finished_ = true;
}

}  // namespace cairn
