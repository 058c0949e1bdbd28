// Replacing a small file so that it survives a crash (kill -9, power loss) whole: the old
// contents or the new ones, never a mix, and the new ones on stable storage on return.
#pragma once

#include <filesystem>

#include "core/util/bytes.h"

namespace cairn {

// Writes `data` to "<path>.tmp", fsyncs it, renames it onto `path` and fsyncs the
// directory; on failure "<path>.tmp" is removed and `path` is unchanged. Not safe against
// concurrent calls for the same path. Throws Error.
void ReplaceFileDurably(const std::filesystem::path& path, ByteView data);

}  // namespace cairn
