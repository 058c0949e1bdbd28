// What a volume (a partition, or a whole disk without a table) holds, by the magic bytes
// blkid also uses:
//   ext2/3/4   0xEF53 at byte 1024+56 (the superblock's s_magic); features tell 2, 3, 4
//   xfs        "XFSB" at 0             btrfs   "_BHRfS_M" at 65536+64
//   ntfs       "NTFS    " at 3         vfat    55 AA at 510 and "FAT" at 54 or 82
//   LVM PV     "LABELONE" in sector 0..3, "LVM2 001" 24 bytes into it
//   swap       "SWAPSPACE2" / "SWAP-SPACE" ending at 4096   LUKS "LUKS\xba\xbe" at 0
#pragma once

#include <string>
#include <string_view>

#include "core/read/block_source.h"

namespace cairn {

enum class FilesystemKind { kUnknown, kExt, kVfat, kXfs, kBtrfs, kNtfs, kLvmPv, kSwap, kLuks };

struct FilesystemInfo {
  FilesystemKind kind = FilesystemKind::kUnknown;
  std::string name;  // blkid's TYPE: "ext4", "vfat", "xfs", "btrfs", "ntfs", "LVM2_member", "swap",
                     // "crypto_LUKS"; "" unknown

  bool operator==(const FilesystemInfo&) const = default;
};

// Reads a few sectors of `volume` (passing on its read errors) and names what it holds.
FilesystemInfo ProbeFilesystem(BlockSource& volume);

// How to get at `info` in the file `path` (a partition file or image in a cairn mount) with
// the kernel, read-only, as a shell command line; "" when there is nothing to mount (swap,
// unknown). The options keep the kernel from writing (no journal replay).
std::string MountHint(const FilesystemInfo& info, std::string_view path);

}  // namespace cairn
