#include "core/write/datastore_init.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {

void InitDatastore(const std::filesystem::path& root) {
  std::error_code ec;
  if (std::filesystem::exists(root, ec)) {
    if (!std::filesystem::is_directory(root, ec)) throw Error(ErrorKind::kInvalidInput, root.string() + " is not a directory");
    if (!std::filesystem::is_empty(root, ec)) {
      throw Error(ErrorKind::kInvalidInput, root.string() + " is not empty; a datastore must be created in an empty directory");
    }
  } else if (::mkdir(root.c_str(), 0755) != 0) {
    throw SystemError("cannot create " + root.string(), errno);
  }
  ChownToBackupUser(root);
  std::filesystem::path chunks = root / ".chunks";
  if (::mkdir(chunks.c_str(), 0750) != 0) throw SystemError("cannot create " + chunks.string(), errno);
  ChownToBackupUser(chunks);
  for (unsigned prefix = 0; prefix <= 0xffff; ++prefix) {
    char name[5];
    std::snprintf(name, sizeof name, "%04x", prefix);
    std::filesystem::path dir = chunks / name;
    if (::mkdir(dir.c_str(), 0750) != 0) throw SystemError("cannot create " + dir.string(), errno);
    ChownToBackupUser(dir);
  }
  std::filesystem::path lock = root / ".lock";
  UniqueFd fd(::open(lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw SystemError("cannot create " + lock.string(), errno);
  ChownToBackupUser(lock);
}

}  // namespace cairn
