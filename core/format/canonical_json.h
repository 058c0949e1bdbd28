// Canonical JSON (spec §5.4): the byte string PBS signs, so it must match serde_json exactly.
//
//   objects  {"a":1,"b":2}  keys sorted by byte-wise comparison, no whitespace
//   arrays   [1,2]          original order, no whitespace
//   strings  '"' and '\' escaped; \b \t \n \f \r; other control characters as \u00xx
//            (lowercase hex); everything else, including '/', DEL and non-ASCII UTF-8, raw
//   numbers  integers in plain decimal
//
// nlohmann::json's compact dump() already produces exactly this (its objects are std::maps,
// whose std::string keys compare byte-wise as unsigned char, and its escaping follows the
// same table as serde_json), so this file only adds the rules dump() does not enforce.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace cairn {

// Returns the path ("" for the value itself, else like "files[2].csum") of the first value
// that canonical JSON cannot carry: null, or a floating-point number (PBS never signs one
// and their text form differs between serializers). nullopt when there is none.
std::optional<std::string> FindNonCanonicalValue(const nlohmann::json& value);

// The canonical serialisation of `value`. Throws Error(kInvalidInput) when
// FindNonCanonicalValue finds something, or when a string is not valid UTF-8.
std::string CanonicalJson(const nlohmann::json& value);

}  // namespace cairn
