#include "tests/reliability/pbs_maintenance.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "core/format/dynamic_index.h"
#include "core/format/fixed_index.h"
#include "core/util/error.h"
#include "core/util/file.h"
#include "core/util/hex.h"

namespace cairn::test {
namespace {

// The exclusive fcntl (OFD) lock on <root>/.lock that GC holds for its whole run.
UniqueFd LockChunkStoreExclusive(const std::filesystem::path& root) {
  std::filesystem::path path = root / ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) throw SystemError("cannot open " + path.string(), errno);
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  if (::fcntl(fd.get(), F_OFD_SETLK, &lock) != 0) {
    throw Error(ErrorKind::kBusy, "garbage collection: " + path.string() + " is locked (a backup is running)");
  }
  return fd;
}

// Phase 1: every digest referenced by an index file outside dot-directories.
std::set<std::string> MarkUsedChunks(const std::filesystem::path& root) {
  std::set<std::string> used;
  auto mark = [&](const std::vector<Digest>& digests) {
    for (const Digest& d : digests) used.insert(ToHex(d));
  };
  for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::end(it); ++it) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    if (name.ends_with(".fidx")) mark(FixedIndex::Open(it->path()).digests());
    if (name.ends_with(".didx")) {
      DynamicIndex index = DynamicIndex::Open(it->path());
      for (size_t i = 0; i < index.chunk_count(); ++i) used.insert(ToHex(index.digest(i)));
    }
  }
  return used;
}

}  // namespace

void PruneSnapshot(const Datastore& datastore, const Snapshot& snapshot, bool force) {
  BackupLock lock;
  if (!force) {
    lock = datastore.locker().LockSnapshotExclusive(snapshot);
    if (datastore.IsProtected(snapshot)) {
      throw Error(ErrorKind::kBusy, "snapshot " + snapshot.DisplayPath() + " is protected");
    }
  }
  std::filesystem::remove_all(datastore.PathOf(snapshot));
}

std::vector<std::string> CollectGarbage(const std::filesystem::path& datastore_root) {
  UniqueFd lock = LockChunkStoreExclusive(datastore_root);
  std::set<std::string> used = MarkUsedChunks(datastore_root);
  std::vector<std::string> removed;
  // Phase 2: chunk files are named by 64 hex digits, damaged ones "<hex>.<n>.bad".
  for (const auto& prefix : std::filesystem::directory_iterator(datastore_root / ".chunks")) {
    for (const auto& chunk : std::filesystem::directory_iterator(prefix.path())) {
      std::string name = chunk.path().filename().string();
      std::string hex = name.substr(0, 64);
      bool hex_name = hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos;
      bool chunk_name = hex_name && (name.size() == 64 || (name[64] == '.' && name.ends_with(".bad")));
      if (!chunk.is_regular_file() || !chunk_name || used.contains(hex)) continue;
      std::filesystem::remove(chunk.path());
      removed.push_back(hex);
    }
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

}  // namespace cairn::test
