// The NBD transmission phase (nbd/transmission.cc) fed client bytes through the real
// connection code: a valid handshake ending in GO comes first, so that the fuzz bytes are
// read as requests. The first byte picks the export (bit 0: writable) and whether structured
// replies and base:allocation are negotiated (bit 1); the rest is the request stream.
#include "tests/fuzz/nbd_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (size == 0) return 0;
  const bool writable = (data[0] & 1) != 0, structured = (data[0] & 2) != 0;
  Bytes session = fuzz::HandshakeThroughGo(writable ? fuzz::kWritableExport : fuzz::kReadOnlyExport, structured);
  session.insert(session.end(), data + 1, data + size);
  fuzz::PlaySession(session, nbd::TlsMode::kOff);
  return 0;
}
