// A libext2fs io_manager that reads a filesystem through a BlockSource (a partition slice of
// an image reader, so every read goes through the shared chunk cache). Read-only: opening
// for writing and every write fail with EXT2_ET_RO_FILSYS; nothing ever reaches the source
// but reads.
//
// libext2fs names the device by a string; ours is BlockIoName(target), which carries the
// address of the target. Errors thrown by the source cannot travel through C, so the
// channel records the first one in the target and fails the libext2fs call; the caller
// re-throws it (BlockIoTarget::TakeError) to keep its kind (kCrypto, kCorrupt, kIo).
#pragma once

#include <ext2fs/ext2fs.h>

#include <optional>
#include <string>

#include "core/read/block_source.h"
#include "core/util/error.h"

namespace cairn {

struct BlockIoTarget {
  BlockSource* source;         // must outlive every channel opened on this target
  std::optional<Error> error;  // the first read error since the last TakeError

  // Throws the recorded error, if any, and clears it.
  void TakeError() {
    if (!error) return;
    Error e = std::move(*error);
    error.reset();
    throw e;
  }
};

// The manager; pass it to ext2fs_open2 with the name below.
io_manager BlockIoManager();

// The device name that makes BlockIoManager()'s open use `target`; `target` must outlive the
// filesystem opened with it.
std::string BlockIoName(BlockIoTarget& target);

}  // namespace cairn
