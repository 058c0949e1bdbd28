// Manifest JSON (manifest.h): parsing, every derived accessor, the signed bytes and the
// round trip through ToJson.
#include "core/format/manifest.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CAIRN_FUZZ_ACCEPT_ERRORS({
    Manifest manifest = Manifest::Parse(text);
    (void)manifest.notes();
    CAIRN_FUZZ_ACCEPT_ERRORS((void)manifest.key_fingerprint());
    CAIRN_FUZZ_ACCEPT_ERRORS((void)manifest.verify_state());
    CAIRN_FUZZ_ACCEPT_ERRORS(manifest.VerifySignature(&fuzz::SpecKey()));
    Manifest again = Manifest::Parse(manifest.ToJson());
    if (again.ToJson() != manifest.ToJson()) __builtin_trap();  // ToJson must round-trip
  });
  return 0;
}
