// `drive-scsi0.img.parts/`: the partitions of an image as files `1`, `2`, ... of their exact
// extents (PartitionFile), numbered as Linux numbers them (MBR logical partitions from 5;
// extended containers are not shown), plus a symlink `N-LABEL` -> `N` for each GPT
// partition with a label. Empty for an image without a partition table. The table is read
// on first use and kept in the mount's VolumeCache; a damaged table makes listing fail with
// EIO (the reason is logged).
#pragma once

#include "fs/image_volumes.h"

namespace cairn::fs {

class PartitionsDir : public ImageVolumesDir {
 public:
  PartitionsDir(const FsContext& context, std::string path, ImageRef image)
      : ImageVolumesDir(context, std::move(path), std::move(image)) {}

  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;
};

// One partition's bytes, read through the image reader (and so the chunk cache).
class PartitionFile : public Node {
 public:
  PartitionFile(const FsContext& context, std::string path, ImageRef image, Volume volume)
      : Node(context, std::move(path)), image_(std::move(image)), volume_(std::move(volume)) {}

  bool immutable() const override { return true; }
  NodeAttr Attr() override {
    return NodeAttr{NodeType::kFile, volume_.size, image_.snapshot.time, 0, std::nullopt};
  }
  std::unique_ptr<FileReader> Open() override;

 private:
  const ImageRef image_;
  const Volume volume_;
};

}  // namespace cairn::fs
