#include "core/util/uncached_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {

namespace {

// cachestat(2) has the same number on every architecture we build for; glibc 2.36 and the
// kernel headers of Debian 12 do not name it yet.
constexpr long kSysCachestat = 451;
struct CachestatRange {
  uint64_t offset;
  uint64_t length;
};
struct Cachestat {
  uint64_t nr_cache;
  uint64_t nr_dirty;
  uint64_t nr_writeback;
  uint64_t nr_evicted;
  uint64_t nr_recently_evicted;
};

// True when the kernel says no page of the file is cached; false when some are, or when it
// cannot say (kernels before 6.5, seccomp filters).
bool NothingCached(int fd) {
  CachestatRange whole{0, 0};  // length 0: to the end of the file
  Cachestat stat{};
  return ::syscall(kSysCachestat, fd, &whole, &stat, 0) == 0 && stat.nr_cache == 0;
}

// Whether the filesystem of the file takes O_DIRECT reads into page-aligned memory.
bool TakesDirectIo(const struct statx& stx) {
  return (stx.stx_mask & STATX_DIOALIGN) != 0 && stx.stx_dio_mem_align != 0 && stx.stx_dio_offset_align != 0 &&
         stx.stx_dio_mem_align <= kPageAlignment && stx.stx_dio_offset_align <= kPageAlignment;
}

// Reads the file with O_DIRECT set on `fd`; false (and O_DIRECT cleared) when the
// filesystem refuses it after all.
bool ReadDirect(int fd, uint64_t size, AlignedBytes& buffer, const std::filesystem::path& path) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_DIRECT) != 0) return false;
  // Whole pages, at page offsets: a read stops at the end of the file, and one that ends
  // inside a page has reached it (reading on from there would be unaligned).
  const size_t length = (size + kPageAlignment - 1) / kPageAlignment * kPageAlignment;
  if (buffer.capacity() < length) AlignedBytes().swap(buffer);  // growing would copy what it holds
  buffer.resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, buffer.data() + done, length - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && done == 0) {
      (void)::fcntl(fd, F_SETFL, flags);
      return false;
    }
    if (n < 0) throw SystemError("cannot read " + path.string(), errno);
    done += static_cast<size_t>(n);
    if (n == 0 || done % kPageAlignment != 0) break;
  }
  buffer.resize(done);
  return true;
}

}  // namespace

AlignedBytes ReadWholeFileUncached(const std::filesystem::path& path, size_t max_size, AlignedBytes buffer) {
  UniqueFd fd = OpenForReading(path);
  struct statx stx {};
  if (::statx(fd.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_DIOALIGN, &stx) != 0) {
    throw SystemError("cannot stat " + path.string(), errno);
  }
  CheckWholeFileReadable(path, stx.stx_mode, stx.stx_size, max_size);
  if (TakesDirectIo(stx) && stx.stx_size > 0 && NothingCached(fd.get()) &&
      ReadDirect(fd.get(), stx.stx_size, buffer, path)) {
    return buffer;
  }
  ReadWholeFileInto(fd.get(), static_cast<size_t>(stx.stx_size), buffer, path);
  return buffer;
}

}  // namespace cairn
