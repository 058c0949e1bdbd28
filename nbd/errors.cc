#include "nbd/errors.h"

#include <cerrno>
#include <new>

#include "nbd/protocol.h"

namespace cairn::nbd {

uint32_t NbdErrorFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return kEinval;
    case ErrorKind::kNotFound:      // a missing chunk
    case ErrorKind::kCorrupt:       // a chunk that fails its checks
    case ErrorKind::kCrypto:        // a chunk that does not decrypt
    case ErrorKind::kIo:
    case ErrorKind::kBusy:
    case ErrorKind::kUnsupported: return kEio;
  }
  return kEio;
}

uint32_t NbdErrorFor(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    if (e.system_errno() == ENOSPC || e.system_errno() == EDQUOT || e.system_errno() == EFBIG) return kEnospc;
    return NbdErrorFor(e.kind());
  } catch (const std::bad_alloc&) {
    return kEnomem;
  } catch (...) {
    return kEio;
  }
}

std::string ClientMessageFor(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return std::string(ErrorKindName(e.kind())) + " error in the backup image";
  } catch (...) {
    return "internal error";
  }
}

}  // namespace cairn::nbd
