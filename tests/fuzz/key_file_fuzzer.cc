// Key files (key_file.h): JSON, KDF parameters (bounded so a hostile file cannot make us
// spend minutes or gigabytes), and decryption of password-less keys.
#include "core/format/key_file.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CAIRN_FUZZ_ACCEPT_ERRORS({
    KeyFile key = KeyFile::Parse(text);
    // Deriving from a password costs what the (bounded) parameters say: only kdf "none"
    // is decrypted here, the parameter bounds themselves are Parse's job.
    if (!key.needs_password()) (void)key.Decrypt("");
  });
  return 0;
}
