#include "core/write/image_backup.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>

#include "core/format/blob.h"
#include "core/format/fixed_index_writer.h"
#include "core/util/bounded_tasks.h"
#include "core/util/error.h"
#include "core/util/file.h"
#include "core/util/thread_pool.h"

namespace cairn {
namespace {

bool IsAllZero(ByteView data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  static constexpr uint8_t kZeros[4096] = {};
  while (n >= sizeof kZeros) {
    if (std::memcmp(p, kZeros, sizeof kZeros) != 0) return false;
    p += sizeof kZeros;
    n -= sizeof kZeros;
  }
  return std::memcmp(p, kZeros, n) == 0;
}

uint64_t SourceSize(int fd, const std::filesystem::path& source) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw SystemError("cannot stat " + source.string(), errno);
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    uint64_t size = 0;
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0) throw SystemError("cannot get the size of " + source.string(), errno);
    return size;
  }
  throw Error(ErrorKind::kInvalidInput, source.string() + " is neither a regular file nor a block device");
}

}  // namespace

bool IsSelectableChunkSize(uint64_t chunk_size) {
  return chunk_size >= (64 << 10) && chunk_size <= (4 << 20) && (chunk_size & (chunk_size - 1)) == 0;
}

void BackupImage(SnapshotWriter& writer, const std::string& archive_name, const std::filesystem::path& source,
                 uint64_t chunk_size, const ProgressCallback& progress) {
  if (!IsSelectableChunkSize(chunk_size)) {
    throw Error(ErrorKind::kInvalidInput, "chunk size " + std::to_string(chunk_size) +
                                              " is not a power of two between 64 KiB and 4 MiB");
  }
  UniqueFd fd = OpenForReading(source);
  const uint64_t size = SourceSize(fd.get(), source);
  if (size == 0) throw Error(ErrorKind::kInvalidInput, source.string() + " is empty; PBS cannot store an empty image");
  const CryptConfig* crypt = writer.crypt();
  const size_t count = static_cast<size_t>((size + chunk_size - 1) / chunk_size);
  std::vector<Digest> digests(count);

  // Full-size zero chunks are the norm in VM disks; hash the zero chunk once.
  Bytes zero_chunk(chunk_size, 0);
  const Digest zero_digest = ChunkDigestOf(zero_chunk, crypt);

  // The pipeline outlives the pool: the pool's destructor runs queued tasks that report to it.
  BoundedTasks pipeline(2 * ThreadPool::DefaultSize());
  ThreadPool pool(ThreadPool::DefaultSize());
  for (size_t i = 0; i < count; ++i) {
    uint64_t offset = i * chunk_size;
    size_t length = static_cast<size_t>(std::min<uint64_t>(chunk_size, size - offset));
    auto buffer = std::make_shared<Bytes>(length);
    pipeline.Acquire();
    size_t got = PreadFull(fd.get(), *buffer, offset, source);
    if (got != length) {
      pipeline.Release();
      pipeline.WaitAll();
      throw Error(ErrorKind::kIo, source.string() + " shrank while it was read (ended at " +
                                      std::to_string(offset + got) + " of " + std::to_string(size) + " bytes)");
    }
    if (length == chunk_size && IsAllZero(*buffer)) {
      digests[i] = zero_digest;
      writer.chunks().Insert(zero_digest, zero_chunk);
      pipeline.Release();
    } else {
      pool.Submit([&, i, buffer] {
        std::exception_ptr failure;
        try {
          digests[i] = ChunkDigestOf(*buffer, crypt);
          writer.chunks().Insert(digests[i], *buffer);
        } catch (...) {
          failure = std::current_exception();
        }
        pipeline.Release(failure);
      });
    }
    if (progress) progress(offset + length, size);
  }
  pipeline.WaitAll();
  IndexUuid uuid;
  RandomBytes(uuid);
  Bytes file = SerializeFixedIndex(uuid, std::time(nullptr), size, chunk_size, digests);
  writer.AddIndex(archive_name + ".fidx", file, size, FixedIndex::ComputeCsum(digests));
}

}  // namespace cairn
