// DataBlob parsing and decoding (blob.h): header, CRC, zstd, AES-GCM, chunk digest checks.
#include "core/format/blob.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  ByteView raw = fuzz::Input(data, size);
  CAIRN_FUZZ_ACCEPT_ERRORS(ParseBlob(raw));
  // A small cap keeps hostile "decompress to 128 MiB" inputs fast; the cap logic is the same.
  CAIRN_FUZZ_ACCEPT_ERRORS(DecodeBlob(raw, nullptr, 1 << 20));
  CAIRN_FUZZ_ACCEPT_ERRORS(DecodeBlob(raw, &fuzz::SpecKey(), 1 << 20));
  Digest digest{};
  CAIRN_FUZZ_ACCEPT_ERRORS(DecodeChunk(raw, digest, 4096, &fuzz::SpecKey()));
  return 0;
}
