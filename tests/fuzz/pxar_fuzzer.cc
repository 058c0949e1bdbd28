// The pxar accessor (accessor.h) on a hostile unified archive: random access from the root's
// goodbye table down, every directory listed and every file read, as the mount and restore do,
// and the files after each file found (following_files.h), as the mount's pushes find them.
#include <vector>

#include "core/pxar/accessor.h"
#include "core/pxar/following_files.h"
#include "core/read/memory_source.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  MemorySource archive(fuzz::Input(data, size));
  CAIRN_FUZZ_ACCEPT_ERRORS({
    pxar::Accessor accessor(archive, nullptr, "fuzz.pxar");
    std::vector<pxar::Entry> pending = {accessor.Root()};
    uint8_t buffer[4096];
    for (size_t visited = 0; !pending.empty() && visited < 2000; ++visited) {
      pxar::Entry entry = std::move(pending.back());
      pending.pop_back();
      if (entry.kind == pxar::EntryKind::kFile) {
        CAIRN_FUZZ_ACCEPT_ERRORS(accessor.ReadFile(entry, 0, buffer));
        CAIRN_FUZZ_ACCEPT_ERRORS((void)pxar::FollowingFiles(archive, "fuzz.pxar", entry.entry_start,
                                                            {.max_files = 64, .max_bytes = 1 << 20, .max_file_size = 1 << 16}));
      } else if (entry.kind == pxar::EntryKind::kDirectory) {
        CAIRN_FUZZ_ACCEPT_ERRORS({
          for (pxar::Entry& child : accessor.List(entry)) {
            (void)accessor.Lookup(entry, child.name);
            pending.push_back(std::move(child));
          }
        });
      }
    }
    (void)accessor.LookupPath("etc/fstab");
  });
  return 0;
}
