#include "core/util/file.h"

#include <gtest/gtest.h>

#include "core/crypto/aes_gcm.h"
#include "tests/test_support.h"

namespace cairn {
using test::ErrorOf;
using test::TempDir;
using test::WriteFileBytes;
namespace {

TEST(ReadWholeFileTest, ReadsIntoARecycledBufferWhateverItHeld) {
  TempDir dir;
  Bytes content(100000);
  RandomBytes(content);
  WriteFileBytes(dir / "f", content);
  for (size_t held : {size_t{0}, size_t{10}, content.size() - 1, content.size(), size_t{1} << 20}) {
    Bytes buffer(held, 0xee);  // a freed chunk's bytes: none of them may show
    EXPECT_EQ(ReadWholeFile(dir / "f", 1 << 20, std::move(buffer)), content) << held;
  }
  WriteFileBytes(dir / "empty", {});
  EXPECT_TRUE(ReadWholeFile(dir / "empty", 1 << 20, Bytes(50, 1)).empty());
  ErrorOf([&] { ReadWholeFile(dir / "f", 99999, Bytes(1 << 20)); }, ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace cairn
