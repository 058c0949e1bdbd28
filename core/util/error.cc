#include "core/util/error.h"

#include <cerrno>
#include <cstring>

namespace cairn {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kCorrupt: return "corrupt";
    case ErrorKind::kCrypto: return "crypto";
    case ErrorKind::kIo: return "i/o";
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kBusy: return "busy";
    case ErrorKind::kUnsupported: return "unsupported";
  }
  return "unknown";
}

Error Error::WithContext(std::string_view context) const {
  return Error(kind_, std::string(context) + ": " + what(), system_errno_);
}

Error SystemError(const std::string& what, int errnum) {
  ErrorKind kind = errnum == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo;
  return Error(kind, what + ": " + std::strerror(errnum), errnum);
}

}  // namespace cairn
