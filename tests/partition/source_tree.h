// A directory tree to put into test filesystems, with what makes file-level restore hard:
// nested directories, an empty file, a file larger than a chunk, modes, owners, times, a
// hard link pair, a short (fast) and a long (block) symlink, an xattr.
// And a comparison of such a tree with a copy of it (through a mount, or restored).
#pragma once

#include <filesystem>
#include <string>

namespace cairn::test {

// Creates the tree under `root` (which must not exist). Owners are set only when running as root.
void MakeSourceTree(const std::filesystem::path& root);

struct CompareOptions {
  bool owners = true;       // compare uid and gid
  bool times = true;        // compare mtime (seconds: mkfs.ext4 -d stores no nanoseconds)
  bool inode_links = true;  // hard links share an inode and st_nlink matches
};

// Compares `copy` with `source` recursively: the same names, types, modes, sizes, content,
// symlink targets, and what `options` asks for. Reports differences with ADD_FAILURE and
// returns how many entries were compared.
size_t CompareTrees(const std::filesystem::path& source, const std::filesystem::path& copy,
                    const CompareOptions& options = {});

}  // namespace cairn::test
