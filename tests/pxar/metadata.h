// Metadata for hand-built archives in tests.
#pragma once

#include <cstdint>

#include "core/pxar/format.h"

namespace cairn::test {

// Metadata with `mode` (type and permission bits) and nothing else set.
inline pxar::Metadata Meta(uint64_t mode) {
  pxar::Metadata m;
  m.stat.mode = mode;
  return m;
}

}  // namespace cairn::test
