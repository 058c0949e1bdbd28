// A file, directory or symlink inside an ext2/3/4 filesystem of an image
// (`drive-scsi0.img.fs/1/etc/fstab`), with the mode, owner, link count and times the
// filesystem stores. Devices, FIFOs and sockets show with their own mode but cannot be
// opened.
//
// Node identity is the ext inode, not the path: a node's path is `<fs root>/#<ext inode>`
// (the root directory's is the fs root itself), so the hard links of one file are one FUSE
// inode with one stable number, as in the filesystem. Reads go through the VolumeCache's
// open filesystem (serialized per filesystem, see ext_filesystem.h).
#pragma once

#include "fs/image_volumes.h"

namespace cairn::fs {

class ExtNode : public Node {
 public:
  // `fs_root`: the mount-relative path of the filesystem's directory (".../drive-scsi0.img.fs/1").
  ExtNode(const FsContext& context, std::string fs_root, ImageRef image, uint32_t volume, uint32_t ext_ino);

  bool immutable() const override { return true; }
  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;
  std::unique_ptr<FileReader> Open() override;
  std::string ReadLink() override;

 private:
  static std::string PathOf(const std::string& fs_root, uint32_t ext_ino);
  std::shared_ptr<ExtFilesystem> Filesystem() const { return image_.Filesystem(context_, volume_); }

  const std::string fs_root_;
  const ImageRef image_;
  const uint32_t volume_;
  const uint32_t ext_ino_;
};

}  // namespace cairn::fs
