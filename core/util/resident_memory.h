// How much memory this process holds in RAM now (/proc/self/statm), for memory budgets that
// cover the whole process.
#pragma once

#include <cstdint>
#include <optional>

namespace cairn {

// Resident bytes of this process (anonymous and file-backed, as VmRSS), or nullopt when
// /proc cannot be read.
std::optional<uint64_t> ResidentBytes();

}  // namespace cairn
