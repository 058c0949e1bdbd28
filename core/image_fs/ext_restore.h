// Restoring files out of an ext2/3/4 filesystem of a VM image to the local filesystem
// (`cairn restore ... drive-scsi0.img.fs/1/etc/fstab`), with their metadata.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/image_fs/ext_filesystem.h"

namespace cairn {

struct ExtRestoreOptions {
  bool overwrite = false;          // replace existing files at the target instead of failing
  bool owners = ::geteuid() == 0;  // chown to the stored uid/gid (needs root)
  bool xattrs = true;              // set the stored extended attributes (refusals are counted)
  // Told about each directory entry refused (see RestoreExtPath), with the entry and why.
  std::function<void(const std::string& message)> refused;
};

struct ExtRestoreStats {
  uint64_t files = 0;  // regular files written
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t hardlinks = 0;       // extra names of a file already restored, made with link(2)
  uint64_t specials = 0;        // devices, FIFOs and sockets made (root), or
  uint64_t skipped = 0;         // ... skipped (not root)
  uint64_t refused = 0;         // entries not restored: a name that is not plain, or repeated
  uint64_t bytes = 0;           // file content written
  uint64_t xattr_failures = 0;  // attributes the target filesystem refused
};

// Restores `path` of `fs` ("etc/fstab", "etc", "" or "/" for everything) to `target`: a file
// becomes the file `target`, a directory the directory `target` with its whole tree, a
// symlink the symlink `target`. Restores mode, owner (options.owners), access and
// modification times (nanoseconds), xattrs; names that are hard links of one inode within
// the restored tree stay hard links. Never follows a symlink at or below `target`, and never
// writes outside it: a directory entry whose name is not a plain name ("", ".", "..", with a
// '/' or NUL: a damaged or hostile filesystem) or repeats an earlier name of its directory
// is refused (counted, reported to options.refused, not restored) and the rest goes on.
// Throws kNotFound when `path` is not in `fs`, kInvalidInput when `target` exists and
// !options.overwrite, kCorrupt for a directory loop, kIo (with the local path) for local
// failures, and the filesystem's own errors. Files restored before an error stay.
ExtRestoreStats RestoreExtPath(ExtFilesystem& fs, std::string_view path, const std::filesystem::path& target,
                               const ExtRestoreOptions& options = {});

}  // namespace cairn
