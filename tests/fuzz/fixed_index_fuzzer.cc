// .fidx parsing (fixed_index.h), with the stored checksum as found and as recomputed.
#include "core/format/fixed_index.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cairn::fuzz::FuzzIndex<cairn::FixedIndex>(cairn::fuzz::Input(data, size));
  return 0;
}
