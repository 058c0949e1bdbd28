// Full verification of one stored chunk (spec §2.6): CRC, the crypt mode its index expects,
// and, when it can be decoded, size and digest.
#pragma once

#include "core/crypto/crypt_config.h"
#include "core/util/bytes.h"

namespace cairn {

// Throws Error(kCorrupt) describing the first failed check. `encrypted` says whether the
// manifest marks the archive as encrypted; with encrypted && crypt == nullptr only the CRC
// and the blob kind can be checked (as PBS's own verify does).
void CheckChunk(ByteView raw, const Digest& digest, size_t expected_size, bool encrypted, const CryptConfig* crypt);

}  // namespace cairn
