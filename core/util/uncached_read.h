// Whole-file reads that leave the kernel's page cache as it was: direct I/O (O_DIRECT) into a
// page-aligned buffer, for files read once and kept elsewhere (chunk files, which the chunk
// cache keeps decoded).
//
// Why: a buffered read of a chunk makes the kernel allocate and charge a page-cache page per
// 4 KiB and copy it out, CPU time taken from the decoders and, through a FUSE mount, from
// the kernel's own copies into the mount's page cache (`cairn cat` of 1 GiB of random data
// from disk: 1.1 instead of 1.4 s of CPU time, BENCHMARKS.md); and a restore of a large
// image would push everything else out of the host's page cache.
#pragma once

#include <cstddef>
#include <filesystem>

#include "core/util/aligned_bytes.h"

namespace cairn {

// Reads the whole file at `path` (opened with O_NOATIME where permitted). Direct I/O is used
// when the filesystem supports it (statx reports its alignments) and no byte of the file is
// in the page cache (cachestat(2), Linux 6.5); otherwise, and when direct I/O is refused,
// the read goes through the page cache as usual. Throws Error as ReadWholeFile does
// (kNotFound, kInvalidInput when not a regular file or larger than `max_size`, kIo).
// `buffer`: memory to read into, whatever it holds (a recycled buffer).
AlignedBytes ReadWholeFileUncached(const std::filesystem::path& path, size_t max_size, AlignedBytes buffer = {});

}  // namespace cairn
