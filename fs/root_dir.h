// The mount's root: the namespace chosen with -o namespace= (the datastore's root namespace
// by default), under the fixed FUSE root inode.
#pragma once

#include "fs/namespace_dir.h"

namespace cairn::fs {

class RootDir : public NamespaceDir {
 public:
  explicit RootDir(const FsContext& context);
};

}  // namespace cairn::fs
