// A decoded blob (`qemu-server.conf`, `client.log`) with its exact decoded size. Blobs are at
// most 128 MiB and usually tiny, so its reader (file_readers.h) holds the decoded bytes.
#pragma once

#include "fs/node.h"

namespace cairn::fs {

class BlobFile : public Node {
 public:
  // `stored`: the blob's file name; `stored_size`: its encoded size.
  BlobFile(const FsContext& context, std::string path, Snapshot snapshot, std::string stored, uint64_t stored_size);

  // The decoded size, learnt by decoding the blob once. Without the key of an encrypted blob
  // it is the ciphertext's size (reading then fails with EACCES anyway).
  bool immutable() const override { return true; }
  NodeAttr Attr() override;
  // Throws kCrypto when the blob is encrypted and no key was given.
  std::unique_ptr<FileReader> Open() override;

 private:
  std::string Decode() const;

  const Snapshot snapshot_;
  const std::string stored_;
  const uint64_t stored_size_;
  std::mutex mu_;
  std::optional<uint64_t> size_;  // guarded by mu_; decoded size once known
};

}  // namespace cairn::fs
