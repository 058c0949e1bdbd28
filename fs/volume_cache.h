// What the `.parts/` and `.fs/` nodes of a mount read from images, kept for the mount's
// lifetime so that browsing a filesystem does not reread its partition table and reopen it
// for every lookup:
//   - disk layouts (partition table and probed filesystems), small, kMaxLayouts of them;
//   - open ext filesystems, at most kMaxOpenFilesystems, least recently used closed first.
//     An open filesystem holds its image reader, libext2fs's metadata caches and the
//     snapshot's shared lock; one that is in use when evicted closes when its last user
//     lets go.
// Images never change, so nothing here goes stale; a pruned snapshot stays readable while
// its filesystem is open, as an open image file does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/image_fs/disk_layout.h"
#include "core/image_fs/ext_filesystem.h"
#include "core/util/lru_cache.h"

namespace cairn::fs {

inline constexpr size_t kMaxLayouts = 256;
inline constexpr size_t kMaxOpenFilesystems = 4;

class VolumeCache {
 public:
  using OpenImage = std::function<std::shared_ptr<BlockSource>()>;

  // The layout of the image `key` ("<snapshot>/<stored name>"), read through `open` when it
  // is not known. Throws what ReadDiskLayout and `open` throw (not cached).
  std::shared_ptr<const DiskLayout> Layout(const std::string& key, const OpenImage& open);

  // The ext filesystem of volume `number` of image `key`, opened through `open` when it is
  // not open. Throws kNotFound when there is no such volume, kInvalidInput when it holds no
  // ext filesystem, and what ExtFilesystem and `open` throw.
  std::shared_ptr<ExtFilesystem> Filesystem(const std::string& key, uint32_t number, const OpenImage& open);

 private:
  std::mutex mu_;
  LruCache<std::string, const DiskLayout> layouts_{kMaxLayouts};           // guarded by mu_
  LruCache<std::string, ExtFilesystem> filesystems_{kMaxOpenFilesystems};  // guarded by mu_
};

}  // namespace cairn::fs
