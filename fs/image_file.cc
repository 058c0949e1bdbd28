#include "fs/image_file.h"

#include "core/read/archive_reader.h"
#include "core/read/snapshot_image.h"

namespace cairn::fs {

ImageFile::ImageFile(const FsContext& context, std::string path, Snapshot snapshot, std::string stored, uint64_t size)
    : Node(context, std::move(path)), snapshot_(std::move(snapshot)), stored_(std::move(stored)), size_(size) {}

NodeAttr ImageFile::Attr() {
  std::lock_guard lock(mu_);
  if (!blocks_) {
    // st_blocks counts only chunks that hold data, as for a sparse file, so `du` shows what
    // the image really stores. The index is read without the snapshot lock: it is only
    // its layout that matters here.
    try {
      SnapshotReader reader(datastore(), snapshot_, nullptr);
      std::unique_ptr<IndexReader> index = OpenArchiveReader(reader, stored_, *context_.cache, ReadOptions{0});
      uint64_t data = 0;
      for (const Extent& extent : index->Extents(0, index->size())) data += extent.zero ? 0 : extent.length;
      blocks_ = (data + 511) / 512;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kCrypto) throw;
      blocks_ = (size_ + 511) / 512;  // extents need no key, but the reader does
    }
  }
  return NodeAttr{NodeType::kFile, size_, snapshot_.time, *blocks_};
}

std::unique_ptr<FileReader> ImageFile::Open() {
  return std::make_unique<BlockSourceFile>(
      SnapshotImage::Open(datastore(), snapshot_, context_.crypt, stored_, *context_.cache, context_.read_options));
}

}  // namespace cairn::fs
