#include "core/read/sparse_copy.h"

#include <fcntl.h>
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

}  // namespace

SparseCopyStats CopyToSparseFile(BlockSource& source, const std::filesystem::path& path,
                                 const std::function<void(uint64_t)>& progress) {
  SparseCopyStats stats{source.size(), 0};
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw SystemError("creating " + path.string(), errno);
  if (ftruncate(fd.get(), static_cast<off_t>(stats.size)) != 0)
    throw SystemError("sizing " + path.string(), errno);
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
          PwriteFull(fd.get(), part, at + i, path);
          stats.written_bytes += part.size();
        }
        if (progress) progress(at + n);
      }
    }
    if (progress) progress(std::min(stats.size, window + kWindow));
  }
  if (fsync(fd.get()) != 0) throw SystemError("fsync " + path.string(), errno);
  return stats;
}

}  // namespace cairn
