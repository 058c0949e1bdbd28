// A chunked archive as a plain file with its exact size (`drive-scsi0.img`): random access
// through the process's ChunkCache with read-ahead. Its reader (file_readers.h) holds the
// snapshot's shared lock (spec §9.4), so PBS does not prune the snapshot while it is being
// read.
#pragma once

#include "fs/node.h"

namespace cairn::fs {

class ImageFile : public Node {
 public:
  // `stored`: the index file name ("drive-scsi0.img.fidx"); `size`: from the manifest.
  ImageFile(const FsContext& context, std::string path, Snapshot snapshot, std::string stored, uint64_t size);

  bool immutable() const override { return true; }
  NodeAttr Attr() override;
  // Throws kCrypto when the archive is encrypted and no key was given.
  std::unique_ptr<FileReader> Open() override;

 private:
  const Snapshot snapshot_;
  const std::string stored_;
  const uint64_t size_;
  std::mutex mu_;
  std::optional<uint64_t> blocks_;  // guarded by mu_; 512-byte blocks of non-zero chunks
};

}  // namespace cairn::fs
