// Where a server listens: `unix:PATH` or `tcp:HOST:PORT` (HOST may be `[v6-address]`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::nbd {

inline constexpr uint16_t kNbdPort = 10809;  // IANA port, for documentation and defaults

struct ListenAddress {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix
  std::string host;  // kTcp, without brackets
  uint16_t port = 0;  // kTcp

  // "unix:PATH" / "tcp:HOST:PORT", as parsed.
  std::string ToString() const;
  // An NBD URI naming export `name` at this address (spec §13), e.g. for messages.
  std::string Uri(std::string_view name = "") const;
};

// Throws Error(kInvalidInput) naming what is wrong.
ListenAddress ParseListenAddress(std::string_view text);

}  // namespace cairn::nbd
