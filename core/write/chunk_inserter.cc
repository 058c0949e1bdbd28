#include "core/write/chunk_inserter.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "core/format/blob.h"
#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {

ChunkInserter::ChunkInserter(const std::filesystem::path& datastore_root, const CryptConfig* crypt)
    : store_(datastore_root), crypt_(crypt) {}

void ChunkInserter::Insert(const Digest& digest, ByteView plain) {
  std::filesystem::path path = store_.ChunkPath(digest);
  count_ += 1;
  size_ += plain.size();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && st.st_size > 0) {
    // Mark it used now, as GC's phase 1 would; the mtime stays.
    struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      throw SystemError("cannot update the access time of " + path.string(), errno);
    }
    duplicates_ += 1;
    return;
  }
  Bytes encoded = EncodeBlob(plain, crypt_, true);
  WriteFileAtomic(path, encoded, ".tmp_");
  ChownToBackupUser(path);
  compressed_size_ += encoded.size();
}

ChunkUploadStats ChunkInserter::stats() const {
  return ChunkUploadStats{count_.load(), size_.load(), compressed_size_.load(), duplicates_.load()};
}

}  // namespace cairn
