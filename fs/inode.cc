#include "fs/inode.h"

#include "core/crypto/sha256.h"
#include "core/util/bytes.h"

namespace cairn::fs {

uint64_t StableInode(std::string_view datastore_path) {
  Digest digest = Sha256(AsBytes(datastore_path));
  uint64_t ino = LoadLE<uint64_t>(digest.data());
  return ino <= kRootIno ? ino + 2 : ino;
}

}  // namespace cairn::fs
