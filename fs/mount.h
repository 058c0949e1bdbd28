// Serving a datastore as a FUSE filesystem: the session, the mount and libfuse's
// multi-threaded loop. The command line (cli/cmd_mount.cc) decides about daemonizing.
#pragma once

#include <filesystem>
#include <functional>

#include "fs/node.h"

namespace cairn::fs {

struct MountOptions {
  std::filesystem::path mountpoint;
  bool allow_other = false;  // let other users in (needs user_allow_other for non-root)
  size_t max_threads = 16;   // FUSE worker threads: reads block on chunk fetches
};

// Mounts the datastore of `context` at options.mountpoint read-only, calls `on_ready` once
// the mount is in place, and serves requests until the filesystem is unmounted (umount,
// fusermount3 -u) or SIGINT, SIGTERM or SIGHUP arrives; then unmounts and returns after
// every worker has stopped and every file reader is closed. Throws Error(kIo) when the session
// cannot be created or mounted (libfuse prints its reason).
void ServeMount(const FsContext& context, const MountOptions& options, const std::function<void()>& on_ready);

}  // namespace cairn::fs
