// Paths into the filesystems of VM images, as the mount shows them and `cairn restore`
// accepts them: `drive-scsi0.img.fs/<N>/<path inside>`, N the partition number, or 0 for
// an image without a partition table.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/image_fs/ext_filesystem.h"

namespace cairn {

struct ImageFsPath {
  std::string image;  // "drive-scsi0.img" (the archive name without .fidx)
  uint32_t volume;    // 1: partition 1; 0: the whole image
  std::string inner;  // "etc/fstab"; "" for the filesystem's root
};

// Splits "drive-scsi0.img.fs/1/etc/fstab" (a leading '/' is allowed); nullopt when the path
// does not start with "<something>.img.fs/<number>".
std::optional<ImageFsPath> ParseImageFsPath(std::string_view path);

// A volume number as written in paths: decimal without sign, spaces or leading zeros.
std::optional<uint32_t> ParseVolumeNumber(std::string_view text);

// Opens the ext filesystem of volume `number` of `disk` (see disk_layout.h). Throws
// kNotFound when there is no such volume, kUnsupported naming what the volume holds when it
// is not ext2/3/4, and what ReadDiskLayout and ExtFilesystem throw.
std::unique_ptr<ExtFilesystem> OpenVolumeFilesystem(const std::shared_ptr<BlockSource>& disk, uint32_t number,
                                                    const std::string& description);

}  // namespace cairn
