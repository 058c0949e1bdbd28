// Backs up a disk image or block device as a fixed-index archive (spec §3, §7.1, §9.5):
// fixed-size chunks, full-size all-zero chunks referenced by the zero-chunk digest without
// hashing, chunks hashed, compressed and encrypted on all cores.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/format/fixed_index.h"
#include "core/write/snapshot_writer.h"

namespace cairn {

inline constexpr uint64_t kDefaultImageChunkSize = 4 << 20;

// Called with (bytes done, total bytes) after each chunk.
using ProgressCallback = std::function<void(uint64_t, uint64_t)>;

// True for the chunk sizes PBS clients may select: 64 KiB to 4 MiB, powers of two.
bool IsSelectableChunkSize(uint64_t chunk_size);

// Reads `source` (regular file or block device) and adds `<archive_name>.fidx` to `writer`
// (archive_name like "drive-scsi0.img"). REQUIRES IsSelectableChunkSize(chunk_size).
// Throws kInvalidInput for an empty source, Error for I/O failures.
void BackupImage(SnapshotWriter& writer, const std::string& archive_name, const std::filesystem::path& source,
                 uint64_t chunk_size, const ProgressCallback& progress = {});

}  // namespace cairn
