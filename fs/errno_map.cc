#include "fs/errno_map.h"

#include <cerrno>

namespace cairn::fs {

int ErrnoFor(const Error& error, bool open_file) {
  switch (error.kind()) {
    case ErrorKind::kNotFound: return open_file ? EIO : ENOENT;
    case ErrorKind::kCorrupt: return EIO;
    case ErrorKind::kCrypto: return EACCES;
    case ErrorKind::kIo: return error.system_errno() != 0 ? error.system_errno() : EIO;
    case ErrorKind::kInvalidInput: return EINVAL;
    case ErrorKind::kBusy: return EBUSY;
    case ErrorKind::kUnsupported: return EOPNOTSUPP;
  }
  return EIO;
}

}  // namespace cairn::fs
