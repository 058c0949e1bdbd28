// Standard base64 (RFC 4648 alphabet "A-Za-z0-9+/"), as PBS key files store salts and keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/util/bytes.h"

namespace cairn {

// Encodes with '=' padding, as PBS writes it.
std::string Base64Encode(ByteView data);

// Decodes text with or without '=' padding (PBS accepts both). Returns nullopt for anything
// else: characters outside the alphabet (whitespace included), a length that no encoding
// produces, misplaced padding, or unused trailing bits that are not zero.
std::optional<Bytes> Base64Decode(std::string_view text);

}  // namespace cairn
