#include "core/format/canonical_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace cairn {
namespace {

using nlohmann::json;

ErrorKind CanonicalErrorKind(const json& value) {
  try {
    CanonicalJson(value);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "CanonicalJson accepted " << value.dump();
  return ErrorKind::kIo;
}

TEST(CanonicalJsonTest, ObjectsSortKeysBytewiseWithoutWhitespace) {
  json value = json::parse(R"({"b": 1, "a": {"z": [3, 2, 1], "B": true, "ab": false, "a": "x"},
                               "\u00e9": 0, "Z": -5, "": 18446744073709551615})");
  EXPECT_EQ(CanonicalJson(value),
            R"({"":18446744073709551615,"Z":-5,"a":{"B":true,"a":"x","ab":false,"z":[3,2,1]},"b":1,"é":0})");
}

TEST(CanonicalJsonTest, ScalarsAndEmptyContainers) {
  EXPECT_EQ(CanonicalJson(json(42)), "42");
  EXPECT_EQ(CanonicalJson(json(-9223372036854775807LL - 1)), "-9223372036854775808");
  EXPECT_EQ(CanonicalJson(json(true)), "true");
  EXPECT_EQ(CanonicalJson(json::object()), "{}");
  EXPECT_EQ(CanonicalJson(json::array()), "[]");
  EXPECT_EQ(CanonicalJson(json::parse("[[],{},[{}]]")), "[[],{},[{}]]");
}

// The escaping table of serde_json: only '"', '\\' and control characters are escaped.
TEST(CanonicalJsonTest, StringEscapingMatchesSerdeJson) {
  std::string s = "q\" b\\ n\n r\r t\t b\b f\f nul";
  s += '\0';
  s += " one\x01 us\x1f del\x7f slash/ ü € 😀";
  EXPECT_EQ(CanonicalJson(json(s)),
            "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 one\\u0001 us\\u001f del\x7f slash/ ü € 😀\"");
  // Keys are escaped the same way.
  EXPECT_EQ(CanonicalJson(json{{"a\nb", 1}}), "{\"a\\nb\":1}");
}

TEST(CanonicalJsonTest, RejectsNullAndFloatsNamingThePath) {
  EXPECT_EQ(CanonicalErrorKind(json(nullptr)), ErrorKind::kInvalidInput);
  EXPECT_EQ(CanonicalErrorKind(json(1.5)), ErrorKind::kInvalidInput);
  EXPECT_EQ(CanonicalErrorKind(json::parse(R"({"a":[1,{"b":null}]})")), ErrorKind::kInvalidInput);
  EXPECT_EQ(FindNonCanonicalValue(json::parse(R"({"a":[1,{"b":null}]})")), "a[1].b");
  EXPECT_EQ(FindNonCanonicalValue(json::parse(R"({"x":1,"files":[{"size":2.0}]})")), "files[0].size");
  EXPECT_EQ(FindNonCanonicalValue(json::parse(R"([0, null])")), "[1]");
  EXPECT_EQ(FindNonCanonicalValue(json(nullptr)), "");
  EXPECT_EQ(FindNonCanonicalValue(json::parse(R"({"a":[1,{"b":"null"}]})")), std::nullopt);
  try {
    CanonicalJson(json::parse(R"({"a":[1,{"b":null}]})"));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'a[1].b'"), std::string::npos) << e.what();
  }
}

TEST(CanonicalJsonTest, RejectsInvalidUtf8) {
  EXPECT_EQ(CanonicalErrorKind(json(std::string("bad \xff byte"))), ErrorKind::kInvalidInput);
  EXPECT_EQ(CanonicalErrorKind(json{{std::string("\xc3"), 1}}), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace cairn
