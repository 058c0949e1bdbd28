// Collects the pxar metadata of a file on a live file system the way PBS does (spec §6.2):
// stat fields with nanosecond mtime, user./trusted. xattrs (plus security.NTACL) in
// listxattr order, POSIX ACLs from their system.* xattrs, security.capability as fcaps,
// chattr flags and the quota project id where the file system has them.
#pragma once

#include <sys/stat.h>

#include <string>

#include "core/pxar/format.h"

namespace cairn {

// `fd` is an open descriptor of the file (a directory or regular file) or -1; `dirfd` and
// `name` locate it otherwise. Attributes a file system does not support are left empty;
// other failures throw Error naming `display_path`.
pxar::Metadata ReadFileMetadata(int dirfd, const std::string& name, int fd, const struct stat& st,
                                const std::string& display_path);

}  // namespace cairn
