#include "core/util/base64.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

Bytes B(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(B(plain)), encoded);
    EXPECT_EQ(Base64Decode(encoded), B(plain)) << encoded;
  }
}

TEST(Base64Test, PaddingIsOptional) {
  EXPECT_EQ(Base64Decode("Zg"), B("f"));
  EXPECT_EQ(Base64Decode("Zm8"), B("fo"));
  EXPECT_EQ(Base64Decode("Zm9vYg"), B("foob"));
}

TEST(Base64Test, RejectsMalformedText) {
  for (const char* bad : {"Z", "Zg=", "Zg===", "Zm9v=", "Zm9vY", "Zm 9v", "Zm9v\n", "Zm-v", "Zm_v", "=",
                          "==", "Zg==Zg==", "Zh==", "Zm9=", "Z===", "Zm8=="}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
}

TEST(Base64Test, AllByteValuesRoundTrip) {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t len = 0; len <= all.size(); ++len) {
    Bytes prefix(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(len));
    std::string text = Base64Encode(prefix);
    EXPECT_EQ(text.size() % 4, 0u);
    EXPECT_EQ(Base64Decode(text), prefix);
    while (!text.empty() && text.back() == '=') text.pop_back();
    EXPECT_EQ(Base64Decode(text), prefix);
  }
}

}  // namespace
}  // namespace cairn
