#include "core/format/dynamic_index_writer.h"

#include <string>

#include "core/util/error.h"

namespace cairn {

void DynamicIndexWriter::Add(uint64_t end, const Digest& digest) {
  if (end <= last_end_) {
    throw Error(ErrorKind::kInvalidInput, "dynamic index entry ending at " + std::to_string(end) +
                                              " does not come after the previous end " +
                                              std::to_string(last_end_));
  }
  static_assert(sizeof(end) + sizeof(Digest) == kDynamicIndexEntrySize);
  AppendLE<uint64_t>(entries_, end);
  entries_.insert(entries_.end(), digest.begin(), digest.end());
  last_end_ = end;
}

Bytes DynamicIndexWriter::Finish(const IndexUuid& uuid, int64_t ctime) const {
  Bytes out = NewIndexHeader(kDynamicIndexMagic, {uuid, ctime, csum()});
  out.insert(out.end(), entries_.begin(), entries_.end());
  return out;
}

}  // namespace cairn
