// A source tree with every kind of entry and metadata pxar stores, and a canonical
// description of a tree's contents and metadata for comparing a source with its mount or
// restore.
#pragma once

#include <filesystem>
#include <string>

namespace cairn::test {

// Fills `root` (an existing empty directory on a file system with user xattrs and POSIX
// ACLs, e.g. tmpfs) with: regular files (text, empty, 300 KiB random, unicode and
// 255-byte names), nested dirs 40 deep, a dir of `wide` empty files, a symlink, a hardlink
// pair (hosts, sub/hosts-again), a FIFO, a socket, char and block devices, user xattrs,
// access and default ACLs, foreign owners, and mtimes with nanoseconds on everything.
void MakeRichTree(const std::filesystem::path& root, int wide = 10000);

// One line per entry below `root` in name order: path, type and mode, uid, gid, size for
// non-directories, mtime with nanoseconds, rdev for devices, symlink target, every xattr
// (hex values, incl. system.posix_acl_*) and a SHA-256 of regular files' contents.
// `with_owner` false leaves out uid and gid.
std::string DescribeTree(const std::filesystem::path& root, bool with_owner = true);

}  // namespace cairn::test
