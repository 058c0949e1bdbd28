#include "fs/archive_dir.h"

namespace cairn::fs {

ArchiveDir::ArchiveDir(const FsContext& context, std::string path, int64_t backup_time)
    : Node(context, std::move(path)), backup_time_(backup_time) {}

}  // namespace cairn::fs
