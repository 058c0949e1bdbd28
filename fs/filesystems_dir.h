// `drive-scsi0.img.fs/`: a directory `N` (an ExtNode) for each volume holding ext2/3/4: the
// partitions by number, or `0` for an image without a partition table. Other filesystems
// are named in the snapshot's index.json with a loop-mount hint for their partition file.
#pragma once

#include "fs/image_volumes.h"

namespace cairn::fs {

class FilesystemsDir : public ImageVolumesDir {
 public:
  FilesystemsDir(const FsContext& context, std::string path, ImageRef image)
      : ImageVolumesDir(context, std::move(path), std::move(image)) {}

  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;
};

}  // namespace cairn::fs
