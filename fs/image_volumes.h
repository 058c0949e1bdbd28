// The image behind a `.parts/` or `.fs/` node and the mount's cached views of it
// (volume_cache.h): where nodes of both trees get the disk layout and open filesystems.
//
//   drive-scsi0.img.parts/N         partition N's bytes (PartitionFile)
//   drive-scsi0.img.parts/N-LABEL   symlink to N for a GPT partition with a label
//   drive-scsi0.img.fs/N/           the ext2/3/4 tree in partition N (ExtNode)
//   drive-scsi0.img.fs/0/           the same for an image without a partition table
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/image_fs/disk_layout.h"
#include "core/image_fs/ext_filesystem.h"
#include "fs/node.h"

namespace cairn::fs {

inline constexpr std::string_view kPartsSuffix = ".parts";
inline constexpr std::string_view kFsSuffix = ".fs";

struct ImageRef {
  Snapshot snapshot;
  std::string stored;  // the index file: "drive-scsi0.img.fidx"

  // "<snapshot>/<stored>", the image's key in the VolumeCache.
  std::string Key() const { return snapshot.DisplayPath() + "/" + stored; }
  // A reader of the whole image holding the snapshot lock (SnapshotImage).
  std::shared_ptr<BlockSource> Open(const FsContext& context) const;
  std::shared_ptr<const DiskLayout> Layout(const FsContext& context) const;
  std::shared_ptr<ExtFilesystem> Filesystem(const FsContext& context, uint32_t volume) const;
};

// What index.json says about the volumes of image `name` ("drive-scsi0.img"), added to its
// file entry: "partition-table" (gpt, mbr, none), "partition-warnings" when the table was
// repaired, and "volumes": [{number, offset, size, type, type-name, label, uuid (as the table
// has them), filesystem (blkid's name or null), file (the partition file, or the image for
// volume 0), browse (the `.fs/` directory, ext only), mount-hint (a read-only loop mount
// of `file` from the snapshot directory, null when there is nothing to mount)}].
void AddVolumesJson(const DiskLayout& layout, std::string_view name, nlohmann::json& file);

// A directory of an image's volumes (`.parts/`, `.fs/`); its mtime is the backup time.
class ImageVolumesDir : public Node {
 public:
  bool immutable() const override { return true; }
  NodeAttr Attr() override {
    return NodeAttr{NodeType::kDirectory, 0, image_.snapshot.time, 0, std::nullopt};
  }

 protected:
  ImageVolumesDir(const FsContext& context, std::string path, ImageRef image)
      : Node(context, std::move(path)), image_(std::move(image)) {}

  const ImageRef image_;
};

// The name of a partition's label symlink: "N-LABEL" with '/' and control characters
// replaced by '_'; "" when the partition has no label.
std::string LabelLinkName(const Partition& partition);

}  // namespace cairn::fs
