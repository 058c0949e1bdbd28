// Inode numbers that stay the same across remounts (restic's inode.go does the same): they
// are derived from a node's path in the datastore, so `find -inum`, rsync and backup tools
// that remember inodes keep working after a remount. The root is always FUSE_ROOT_ID.
#pragma once

#include <cstdint>
#include <string_view>

namespace cairn::fs {

inline constexpr uint64_t kRootIno = 1;

// The first 8 bytes of SHA-256 of `datastore_path` (e.g. "ns/a/vm/100/latest"), never 0 or
// the root's number. Different paths collide with probability 2^-64 per pair.
uint64_t StableInode(std::string_view datastore_path);

}  // namespace cairn::fs
