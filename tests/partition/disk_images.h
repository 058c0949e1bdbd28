// Disk images built by the real tools in a test's temporary directory: partition tables by
// sfdisk, ext4 populated from a directory by mkfs.ext4 -d (no root needed), vfat by
// mkfs.vfat and mcopy. What sfdisk reports is read back from `sfdisk --json`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/util/bytes.h"

namespace cairn::test {

struct SfdiskPartition {
  uint32_t number;   // from the device node name: img1, img5
  uint64_t offset;   // bytes
  uint64_t size;     // bytes
  std::string type;  // as sfdisk --json prints it ("83", "5", or a GUID)
  std::string name;  // GPT label
};

// Creates `image` as a sparse file of `size` bytes and runs `sfdisk` with `script` on it;
// returns the partitions sfdisk then lists (extended containers included). Fails the test
// (ADD_FAILURE) and returns {} when sfdisk fails.
std::vector<SfdiskPartition> Sfdisk(const std::filesystem::path& image, uint64_t size,
                                    const std::string& script);

// An ext4 filesystem of `size` bytes holding a copy of `source` (mkfs.ext4 -d), with
// `extra` mkfs options; written to `path` and returned.
Bytes MakeExt4(const std::filesystem::path& path, uint64_t size, const std::filesystem::path& source,
               const std::string& extra = "");

// A FAT filesystem of `size` bytes with `files` (name -> content) in its root directory.
Bytes MakeVfat(const std::filesystem::path& path, uint64_t size,
               const std::vector<std::pair<std::string, std::string>>& files);

// A swap area of `size` bytes (mkswap).
Bytes MakeSwap(const std::filesystem::path& path, uint64_t size);

// Writes `data` into the file `image` at `offset` (the file keeps its size otherwise).
void WriteAt(const std::filesystem::path& image, uint64_t offset, ByteView data);

// Bytes [offset, offset + length) of a file.
Bytes ReadRange(const std::filesystem::path& file, uint64_t offset, uint64_t length);

}  // namespace cairn::test
