#include "core/pxar/hardlink_counts.h"

#include <map>

#include "core/pxar/decoder.h"

namespace cairn::pxar {

std::unordered_map<uint64_t, uint32_t> CountHardlinks(BlockSource& archive, const std::string& description) {
  ItemCursor cursor(archive, description);
  const uint64_t size = cursor.archive_size();
  std::map<uint64_t, uint32_t> links_to;  // target FILENAME offset -> further names
  uint64_t filename_start = 0, filename_end = 0;
  for (uint64_t pos = 0; pos < size;) {
    ItemCursor::Header h = cursor.ReadHeader(pos, size);
    if (h.htype == kFilename) {
      filename_start = pos;
      filename_end = pos + h.full_size;
    } else if (h.htype == kHardlink) {
      if (filename_end != pos || h.content_size() < 10) throw cursor.Corrupt(pos, "HARDLINK item without its FILENAME");
      uint64_t offset = LoadLE<uint64_t>(cursor.Get(pos + kHeaderSize, 8, size).data());
      if (offset == 0 || offset > filename_start) throw cursor.Corrupt(pos, "hardlink target offset out of range");
      ++links_to[filename_start - offset];
    }
    pos += h.full_size;
  }
  std::unordered_map<uint64_t, uint32_t> counts;
  for (const auto& [target, links] : links_to) {
    ItemCursor::Header h = cursor.ReadHeader(target, size);
    if (h.htype != kFilename) throw cursor.Corrupt(target, "hardlink target is not a FILENAME item");
    counts[target + h.full_size] = links + 1;
  }
  return counts;
}

}  // namespace cairn::pxar
