#include "fs/blob_file.h"

#include "core/format/blob.h"
#include "core/store/snapshot_reader.h"

namespace cairn::fs {

BlobFile::BlobFile(const FsContext& context, std::string path, Snapshot snapshot, std::string stored,
                   uint64_t stored_size)
    : Node(context, std::move(path)), snapshot_(std::move(snapshot)), stored_(std::move(stored)), stored_size_(stored_size) {}

std::string BlobFile::Decode() const {
  SnapshotReader reader(datastore(), snapshot_, context_.crypt);
  Bytes data = reader.ReadBlob(stored_);
  return std::string(data.begin(), data.end());
}

NodeAttr BlobFile::Attr() {
  std::lock_guard lock(mu_);
  if (!size_) {
    try {
      size_ = Decode().size();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kCrypto) throw;
      size_ = stored_size_ > kEncryptedBlobHeaderSize ? stored_size_ - kEncryptedBlobHeaderSize : 0;
    }
  }
  return NodeAttr{NodeType::kFile, *size_, snapshot_.time, 0};
}

std::unique_ptr<FileReader> BlobFile::Open() {
  return std::make_unique<MemoryFile>(std::make_shared<const std::string>(Decode()));
}

}  // namespace cairn::fs
