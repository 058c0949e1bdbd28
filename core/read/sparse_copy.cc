#include "core/read/sparse_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/util/bytes.h"
#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {
namespace {

constexpr uint64_t kWindow = 64 << 20;   // extents asked per call
constexpr uint64_t kPiece = 4 << 20;     // bytes read per call
constexpr size_t kZeroCheck = 64 << 10;  // granularity of hole detection in data

bool AllZero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

// Copies `source` into the open file `fd` (named `path` in errors) and fsyncs it.
SparseCopyStats CopyInto(BlockSource& source, int fd, const std::filesystem::path& path,
                         const std::function<void(uint64_t)>& progress) {
  SparseCopyStats stats{source.size(), 0};
  if (ftruncate(fd, static_cast<off_t>(stats.size)) != 0) throw SystemError("sizing " + path.string(), errno);
  Bytes buffer(kPiece);
  for (uint64_t window = 0; window < stats.size; window += kWindow) {
    for (const Extent& e : source.Extents(window, std::min(kWindow, stats.size - window))) {
      if (e.zero) continue;
      for (uint64_t at = e.offset; at < e.offset + e.length; at += kPiece) {
        const size_t n = static_cast<size_t>(std::min(kPiece, e.offset + e.length - at));
        std::span<uint8_t> piece(buffer.data(), n);
        if (source.Read(at, piece) != n)
          throw Error(ErrorKind::kIo, "short read at offset " + std::to_string(at));
        for (size_t i = 0; i < n; i += kZeroCheck) {
          ByteView part = piece.subspan(i, std::min(kZeroCheck, n - i));
          if (AllZero(part)) continue;
          PwriteFull(fd, part, at + i, path);
          stats.written_bytes += part.size();
        }
        if (progress) progress(at + n);
      }
    }
    if (progress) progress(std::min(stats.size, window + kWindow));
  }
  if (fsync(fd) != 0) throw SystemError("fsync " + path.string(), errno);
  return stats;
}

}  // namespace

SparseCopyStats CopyToSparseFile(BlockSource& source, const std::filesystem::path& path,
                                 const std::function<void(uint64_t)>& progress) {
  std::error_code ec;
  std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    // Holes would leave a device's old bytes where the image has zeros.
    throw Error(ErrorKind::kInvalidInput, path.string() + " is not a regular file; a sparse copy needs one");
  }
  std::string temp = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
  UniqueFd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) throw SystemError("creating a temporary file for " + path.string(), errno);
  try {
    if (fchmod(fd.get(), 0644) != 0) throw SystemError("chmod " + temp, errno);
    SparseCopyStats stats = CopyInto(source, fd.get(), temp, progress);
    std::filesystem::rename(temp, path, ec);
    if (ec) throw SystemError("renaming " + temp + " to " + path.string(), ec.value());
    return stats;
  } catch (...) {
    std::filesystem::remove(temp, ec);
    throw;
  }
}

}  // namespace cairn
