// Lowercase hexadecimal, as used for chunk file names, csums and fingerprints.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/util/bytes.h"

namespace cairn {

std::string ToHex(ByteView bytes);

// Decodes hex of either case; nullopt on odd length or a non-hex character.
std::optional<Bytes> FromHex(std::string_view hex);

}  // namespace cairn
