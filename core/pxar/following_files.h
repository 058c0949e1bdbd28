// The regular files that come after a given file in a pxar archive, in archive order: what a
// reader going through a tree in order (`find | xargs cat`, `cp -r`, a backup tool) reads
// next, so that their contents can be fetched ahead of it (fs/pxar_archive.h). Like
// hardlink_counts.h, this walks item headers only (pos += full_size): it never decodes an
// entry or reads file contents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/read/block_source.h"

namespace cairn::pxar {

struct FollowingFile {
  uint64_t entry_start;  // of its ENTRY item, as Entry::entry_start
  uint64_t size;         // of its contents
};

struct FollowingLimits {
  size_t max_files;        // at most this many files
  uint64_t max_bytes;      // stop once the files' sizes add up to this much
  uint64_t max_file_size;  // pass over larger files (and empty ones)
};

// The regular files whose entries follow the ENTRY item at `entry_start` of `archive` (a
// unified .pxar or the .mpxar of a split archive), within `limits`, descending into and
// climbing out of directories as the archive does. Further names of hardlinked files are
// passed over: their contents came before. Throws Error(kCorrupt) for items that do not
// chain, or when `entry_start` is not an ENTRY item.
std::vector<FollowingFile> FollowingFiles(BlockSource& archive, const std::string& description, uint64_t entry_start,
                                          const FollowingLimits& limits);

}  // namespace cairn::pxar
