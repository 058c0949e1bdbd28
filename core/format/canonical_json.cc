#include "core/format/canonical_json.h"

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace cairn {
namespace {

// Depth-first search; `path` is the location of `value` and is restored on return.
bool FindNonCanonical(const nlohmann::json& value, std::string& path) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::number_float:
    case nlohmann::json::value_t::discarded:
    case nlohmann::json::value_t::binary: return true;
    case nlohmann::json::value_t::array:
      for (size_t i = 0; i < value.size(); ++i) {
        size_t mark = path.size();
        path += "[" + std::to_string(i) + "]";
        if (FindNonCanonical(value[i], path)) return true;
        path.resize(mark);
      }
      return false;
    case nlohmann::json::value_t::object:
      for (const auto& [key, member] : value.items()) {
        size_t mark = path.size();
        if (!path.empty()) path += '.';
        path += key;
        if (FindNonCanonical(member, path)) return true;
        path.resize(mark);
      }
      return false;
    case nlohmann::json::value_t::string:
    case nlohmann::json::value_t::boolean:
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> FindNonCanonicalValue(const nlohmann::json& value) {
  std::string path;
  if (FindNonCanonical(value, path)) return path;
  return std::nullopt;
}

std::string CanonicalJson(const nlohmann::json& value) {
  if (std::optional<std::string> bad = FindNonCanonicalValue(value)) {
    std::string where = bad->empty() ? std::string() : " at '" + *bad + "'";
    throw Error(ErrorKind::kInvalidInput,
                "canonical JSON cannot contain null or floating-point values (found one" + where + ")");
  }
  try {
    return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kInvalidInput, std::string("cannot write canonical JSON: ") + e.what());
  }
}

}  // namespace cairn
