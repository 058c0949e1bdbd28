// Reading a key file password without echo, the way PBS's client does.
#pragma once

#include <string>

namespace cairn::cli {

// Returns the password from PBS_ENCRYPTION_PASSWORD if set, else the first line read from
// `fd` when fd >= 0, else prompts on /dev/tty without echo (twice when `confirm`). Throws
// Error(kCrypto) when no source is available (no terminal) or confirmation differs.
std::string ReadPassword(const std::string& prompt, int fd, bool confirm);

}  // namespace cairn::cli
