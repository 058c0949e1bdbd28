#include "core/store/group_directory.h"

#include <fcntl.h>

#include <algorithm>
#include <cctype>

#include "core/format/blob.h"
#include "core/store/snapshot_reader.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace cairn {
namespace {

constexpr size_t kMaxOwnerFileSize = 1 << 20;

// "<time>/<name>", the path of a file of a snapshot relative to its group directory.
std::string SnapshotFile(const Snapshot& snapshot, std::string_view name) {
  std::string relative = snapshot.TimeString();
  relative += '/';
  relative += name;
  return relative;
}

}  // namespace

GroupDirectory::GroupDirectory(const Datastore& datastore, BackupGroup group)
    : group_(std::move(group)), path_(datastore.PathOf(group_)), fd_(OpenDirectory(path_)) {}

std::vector<Snapshot> GroupDirectory::ListSnapshotDirectories() const {
  std::vector<Snapshot> out;
  for (const std::string& name : ListSubdirectories(fd_, path_)) {
    if (std::optional<int64_t> time = ParseBackupTime(name)) out.push_back(Snapshot{group_, *time});
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) { return a.time < b.time; });
  return out;
}

std::vector<Snapshot> GroupDirectory::ListSnapshots() const {
  std::vector<Snapshot> out = ListSnapshotDirectories();
  std::erase_if(out, [&](const Snapshot& s) { return !ExistsAt(fd_.get(), SnapshotFile(s, kManifestBlobName).c_str()); });
  return out;
}

Manifest GroupDirectory::ReadManifest(const Snapshot& snapshot) const {
  std::string relative = SnapshotFile(snapshot, kManifestBlobName);
  if (!fd_) throw Error(ErrorKind::kNotFound, (path_ / relative).string() + " does not exist");
  Bytes raw = ReadWholeFileAt(fd_.get(), path_, relative.c_str(), kMaxBlobSize);
  try {
    return Manifest::Parse(AsChars(DecodeBlob(raw, nullptr)));
  } catch (const Error& e) {
    throw e.WithContext((path_ / relative).string());
  }
}

bool GroupDirectory::IsProtected(const Snapshot& snapshot) const {
  return fd_ && ExistsAt(fd_.get(), SnapshotFile(snapshot, ".protected").c_str());
}

std::optional<std::string> GroupDirectory::Owner() const {
  if (!fd_) return std::nullopt;
  Bytes data;
  try {
    data = ReadWholeFileAt(fd_.get(), path_, "owner", kMaxOwnerFileSize);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
  std::string_view text = AsChars(data);
  std::string line(text.substr(0, text.find('\n')));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

}  // namespace cairn
