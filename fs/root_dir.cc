#include "fs/root_dir.h"

#include "fs/inode.h"

namespace cairn::fs {

RootDir::RootDir(const FsContext& context) : NamespaceDir(context, "", context.base, kRootIno) {}

}  // namespace cairn::fs
