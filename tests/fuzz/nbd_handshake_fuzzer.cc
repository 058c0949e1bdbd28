// The NBD handshake (nbd/handshake.cc) fed client bytes through the real connection code:
// the first byte picks the server's TLS mode (off, allow, require), the rest is what the
// client sends after the greeting (client flags, options, and whatever follows).
#include "tests/fuzz/nbd_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (size == 0) return 0;
  constexpr nbd::TlsMode kModes[] = {nbd::TlsMode::kOff, nbd::TlsMode::kAllow, nbd::TlsMode::kRequire};
  fuzz::PlaySession(ByteView(data + 1, size - 1), kModes[data[0] % 3]);
  return 0;
}
