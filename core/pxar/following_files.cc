#include "core/pxar/following_files.h"

#include "core/pxar/decoder.h"
#include "core/pxar/format.h"

namespace cairn::pxar {

std::vector<FollowingFile> FollowingFiles(BlockSource& archive, const std::string& description, uint64_t entry_start,
                                          const FollowingLimits& limits) {
  ItemCursor cursor(archive, description);
  const uint64_t size = cursor.archive_size();
  ItemCursor::Header first = cursor.ReadHeader(entry_start, size);
  if (first.htype != kEntry && first.htype != kEntryV1) throw cursor.Corrupt(entry_start, "not an ENTRY item");
  std::vector<FollowingFile> files;
  uint64_t bytes = 0;
  uint64_t last_entry = entry_start;  // contents belong to the ENTRY before them
  for (uint64_t pos = entry_start + first.full_size;
       pos < size && files.size() < limits.max_files && bytes < limits.max_bytes;) {
    ItemCursor::Header h = cursor.ReadHeader(pos, size);
    uint64_t file_size = 0;
    if (h.htype == kEntry || h.htype == kEntryV1) {
      last_entry = pos;
    } else if (h.htype == kPayload) {
      file_size = h.content_size();
    } else if (h.htype == kPayloadRef) {
      if (h.content_size() != 16) throw cursor.Corrupt(pos, "PAYLOAD_REF of the wrong size");
      file_size = LoadLE<uint64_t>(cursor.Get(pos + kHeaderSize + 8, 8, size).data());
    }
    if (file_size > 0 && file_size <= limits.max_file_size && last_entry != entry_start) {
      files.push_back({last_entry, file_size});
      bytes += file_size;
    }
    pos += h.full_size;
  }
  return files;
}

}  // namespace cairn::pxar
