// Link counts of hardlinked files in a pxar archive. pxar stores no link counts: the first
// name of a file is a plain entry and every further name is a HARDLINK item pointing back at
// it (spec §4), possibly from any later directory. So the count of a file is only known after
// every item of the archive was seen; this walks the item headers once (pos += full_size,
// never decoding entries or reading file contents beyond the chunks holding headers) and
// keeps one counter per hardlink target.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/read/block_source.h"

namespace cairn::pxar {

// Maps the ENTRY offset of every file with further names (Entry::entry_start, which
// hardlinks resolve to) to its number of names (≥ 2). Files not in the map have one name.
// `archive` is a unified .pxar or the .mpxar of a split archive. Throws Error(kCorrupt) for
// items that do not chain to the end of the archive or hardlinks that point nowhere.
std::unordered_map<uint64_t, uint32_t> CountHardlinks(BlockSource& archive, const std::string& description);

}  // namespace cairn::pxar
