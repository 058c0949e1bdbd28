#include "core/overlay/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {

void ReplaceFileDurably(const std::filesystem::path& path, ByteView data) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  std::error_code ec;
  try {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw SystemError("creating " + tmp.string(), errno);
    WriteFull(fd.get(), data, tmp);
    if (fsync(fd.get()) != 0) throw SystemError("fsync " + tmp.string(), errno);
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw SystemError("renaming " + tmp.string() + " to " + path.string(), ec.value());
  } catch (...) {
    std::filesystem::remove(tmp, ec);  // a full disk must not keep a partial copy around
    throw;
  }
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  UniqueFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) throw SystemError("opening " + dir.string(), errno);
  if (fsync(dir_fd.get()) != 0) throw SystemError("fsync " + dir.string(), errno);
}

}  // namespace cairn
