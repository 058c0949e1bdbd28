// The catalog (catalog.h): header, then every directory block reachable from the root,
// depth-first, as a listing would read them.
#include <vector>

#include "core/format/catalog.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  CAIRN_FUZZ_ACCEPT_ERRORS({
    Catalog catalog = Catalog::Parse(Bytes(data, data + size));
    std::vector<uint64_t> pending = {catalog.root_offset()};
    // Child blocks lie before their parent, so offsets strictly decrease: this ends.
    for (size_t visited = 0; !pending.empty() && visited < 10000; ++visited) {
      uint64_t offset = pending.back();
      pending.pop_back();
      for (const CatalogEntry& entry : catalog.ReadDirectory(offset)) {
        if (entry.type == CatalogEntryType::kDirectory) pending.push_back(entry.block_offset);
      }
    }
  });
  return 0;
}
