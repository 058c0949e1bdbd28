// Typed access to the members of a parsed JSON document (manifests, key files) with errors
// that name the document and the field: "manifest field 'files[2].csum' is missing".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cairn {

class JsonFields {
 public:
  // `document` starts every message, e.g. "manifest" or "key file".
  explicit JsonFields(std::string_view document) : document_(document) {}

  // Throws Error(kCorrupt): "<document> field '<path>' <problem>".
  [[noreturn]] void Fail(std::string_view path, std::string_view problem) const;

  const nlohmann::json& Member(const nlohmann::json& object, const char* key, const std::string& path) const;
  std::string String(const nlohmann::json& value, const std::string& path) const;
  int64_t Int64(const nlohmann::json& value, const std::string& path) const;
  uint64_t Uint64(const nlohmann::json& value, const std::string& path) const;

 private:
  std::string_view document_;
};

}  // namespace cairn
