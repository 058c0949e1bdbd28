#include "core/format/catalog_writer.h"

#include <gtest/gtest.h>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

TEST(CatalogWriter, WritesTheSpecsSyntheticCatalog) {
  Bytes out;
  CatalogWriter w([&](ByteView b) { out.insert(out.end(), b.begin(), b.end()); });
  w.StartDirectory("root.pxar.didx");
  w.StartDirectory("etc");
  w.AddEntry(CatalogEntryType::kSymlink, "x");
  w.EndDirectory();
  w.AddFile("a.txt", 5, 1600000000);
  w.AddFile("neg", 0, -1);
  w.EndDirectory();
  w.Finish();
  EXPECT_EQ(out, test::Hex("91fd60f9c46758d504016c01781c036403657463056605612e7478740580a0f8fa0566036e65670081001201"
                           "640e726f6f742e707861722e646964781d2a00000000000000"));
  Catalog c = Catalog::Parse(out);
  std::vector<CatalogEntry> root = c.ReadDirectory(c.root_offset());
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(c.ReadDirectory(root[0].block_offset).size(), 3u);
}

TEST(CatalogWriter, RefusesUnbalancedCalls) {
  CatalogWriter w([](ByteView) {});
  EXPECT_THROW(w.EndDirectory(), Error);
  EXPECT_THROW(w.AddFile("a", 1, 1), Error);
  w.StartDirectory("root.pxar.didx");
  EXPECT_THROW(w.AddEntry(CatalogEntryType::kFile, "a"), Error);
  EXPECT_THROW(w.Finish(), Error);
}

}  // namespace
}  // namespace cairn
