// .didx parsing (dynamic_index.h), with the stored checksum as found and as recomputed.
#include "core/format/dynamic_index.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  ByteView file = fuzz::Input(data, size);
  auto use = [](const DynamicIndex& index) {
    for (size_t i = 0; i < index.chunk_count(); ++i) (void)index.chunk_length(i);
    (void)index.ChunkIndexAt(index.size() / 2);
    (void)index.ChunkIndexAt(index.size());
  };
  CAIRN_FUZZ_ACCEPT_ERRORS(use(DynamicIndex::Parse(file)));
  if (size > 4096) {
    Bytes fixed = fuzz::WithFixedIndexCsum(file, file.subspan(4096));
    CAIRN_FUZZ_ACCEPT_ERRORS(use(DynamicIndex::Parse(fixed)));
  }
  return 0;
}
