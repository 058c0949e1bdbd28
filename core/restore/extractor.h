// Restores (part of) a pxar archive into a directory with its metadata, the way PBS's
// extractor does, but safe against hostile archives: every file is created relative to an
// open directory fd with O_NOFOLLOW / O_EXCL, nothing is ever written through a symlink, and
// entries that would reach outside the target (names with '/', '.', '..'; symlinks pointing
// out of the target; hardlinks to paths outside the archive) are refused with a message
// while the rest of the restore goes on. chattr flags and the quota project id are restored
// on directories and regular files (as PBS does), the flags last: immutable and append-only
// forbid everything after them. A later hardlink to such a file clears its flag while the
// name is linked, so nothing is put off to the end of the restore (memory stays bounded).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/pxar/accessor.h"

namespace cairn {

struct RestoreOptions {
  std::vector<std::string> includes;  // globs (ExcludeList syntax); none: everything
  std::vector<std::string> excludes;  // globs; win over includes
  bool owner = true;                  // chown to the stored uid/gid
  bool xattrs = true;                 // user./trusted./security. xattrs and fcaps
  bool acls = true;                   // POSIX ACLs
  bool overwrite = false;             // replace existing non-directories (else: skip them)
};

struct RestoreStats {
  uint64_t entries = 0;  // entries restored
  uint64_t bytes = 0;    // file bytes written
  uint64_t skipped = 0;  // entries refused or failed (each reported through `warn`)
  uint64_t unsupported = 0;  // attributes the target could not take (each through `notice`)
};

struct RestoreCallbacks {
  std::function<void(const std::string&)> warn;      // one message per skipped entry
  // One message per chattr flag set or quota project id the target file system refused;
  // the entry itself is restored (tmpfs, for one, lacks most flags and project ids).
  std::function<void(const std::string&)> notice;
  std::function<void(const RestoreStats&)> progress;  // after each entry
};

// Restores the subtree at archive path `start_path` ("" for the whole archive; a directory:
// its contents go into `target`, with its own metadata on `target`; any other entry: it is
// restored into `target` under its own name). `target` is created if missing. Throws Error
// only for failures that stop the whole restore (start not found, target not creatable,
// archive unreadable); everything else counts as skipped.
RestoreStats Restore(const pxar::Accessor& accessor, const std::string& start_path, const std::filesystem::path& target,
                     const RestoreOptions& options, const RestoreCallbacks& callbacks);

}  // namespace cairn
