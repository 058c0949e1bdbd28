#include "core/format/json_fields.h"

#include <limits>

#include "core/util/error.h"

namespace cairn {

void JsonFields::Fail(std::string_view path, std::string_view problem) const {
  throw Error(ErrorKind::kCorrupt,
              std::string(document_) + " field '" + std::string(path) + "' " + std::string(problem));
}

const nlohmann::json& JsonFields::Member(const nlohmann::json& object, const char* key, const std::string& path) const {
  auto it = object.find(key);
  if (it == object.end()) Fail(path, "is missing");
  return *it;
}

std::string JsonFields::String(const nlohmann::json& value, const std::string& path) const {
  if (!value.is_string()) Fail(path, "is not a string");
  return value.get<std::string>();
}

int64_t JsonFields::Int64(const nlohmann::json& value, const std::string& path) const {
  if (!value.is_number_integer()) Fail(path, "is not an integer");
  if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
    Fail(path, "is out of range for a 64-bit signed integer");
  }
  return value.get<int64_t>();
}

uint64_t JsonFields::Uint64(const nlohmann::json& value, const std::string& path) const {
  if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0)) {
    Fail(path, "is not a non-negative integer");
  }
  return value.get<uint64_t>();
}

}  // namespace cairn
