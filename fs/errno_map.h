// The one place where cairn::Error categories become errno values for the kernel.
#pragma once

#include "core/util/error.h"

namespace cairn::fs {

// kNotFound -> ENOENT, kCorrupt -> EIO, kCrypto -> EACCES (a key is missing or wrong),
// kIo -> the system's errno (EIO when unknown), kInvalidInput -> EINVAL, kBusy -> EBUSY,
// kUnsupported -> EOPNOTSUPP. `open_file`: the error concerns a file that is already open,
// where "not found" means the data vanished underneath (a pruned snapshot) and is EIO.
int ErrnoFor(const Error& error, bool open_file = false);

}  // namespace cairn::fs
