#include "fs/image_file.h"

#include "core/read/archive_reader.h"

namespace cairn::fs {
namespace {

class ImageHandle : public OpenFile {
 public:
  ImageHandle(std::unique_ptr<SnapshotReader> snapshot, std::unique_ptr<IndexReader> reader)
      : snapshot_(std::move(snapshot)), reader_(std::move(reader)) {}
  uint64_t size() const override { return reader_->size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override { return reader_->Read(offset, out); }
  std::optional<std::vector<IndexReader::Piece>> ReadPieces(uint64_t offset, size_t size) override {
    return reader_->ReadPieces(offset, size);
  }
  bool immutable() const override { return true; }

 private:
  std::unique_ptr<SnapshotReader> snapshot_;  // holds the shared snapshot lock
  std::unique_ptr<IndexReader> reader_;
};

}  // namespace

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

std::unique_ptr<OpenFile> ImageFile::Open() {
  auto snapshot = std::make_unique<SnapshotReader>(datastore(), snapshot_, context_.crypt);
  std::unique_ptr<IndexReader> reader = OpenArchiveReader(*snapshot, stored_, *context_.cache, context_.read_options);
  return std::make_unique<ImageHandle>(std::move(snapshot), std::move(reader));
}

}  // namespace cairn::fs
