#include "core/format/catalog.h"

#include <gtest/gtest.h>

#include <climits>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

// Spec §10.6: root -> root.pxar.didx -> { etc/ -> { x (symlink) }, a.txt, neg }.
const char kVector[] =
    "91fd60f9c46758d504016c01781c036403657463056605612e7478740580a0f8fa0566036e65670081001201640e726f6f742e707861722e6469"
    "64781d2a00000000000000";

TEST(CatalogTest, SpecVector) {
  Catalog catalog = Catalog::Parse(test::Hex(kVector));
  EXPECT_EQ(catalog.root_offset(), 42u);
  auto root = catalog.ReadDirectory(catalog.root_offset());
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].type, CatalogEntryType::kDirectory);
  EXPECT_EQ(root[0].name, "root.pxar.didx");
  EXPECT_EQ(root[0].block_offset, 13u);
  auto archive = catalog.ReadDirectory(root[0].block_offset);
  ASSERT_EQ(archive.size(), 3u);
  EXPECT_EQ(archive[0].name, "etc");
  EXPECT_EQ(archive[0].block_offset, 8u);
  EXPECT_EQ(archive[1].type, CatalogEntryType::kFile);
  EXPECT_EQ(archive[1].name, "a.txt");
  EXPECT_EQ(archive[1].size, 5u);
  EXPECT_EQ(archive[1].mtime, 1600000000);
  EXPECT_EQ(archive[2].name, "neg");
  EXPECT_EQ(archive[2].size, 0u);
  EXPECT_EQ(archive[2].mtime, -1);
  auto etc = catalog.ReadDirectory(archive[0].block_offset);
  ASSERT_EQ(etc.size(), 1u);
  EXPECT_EQ(etc[0].type, CatalogEntryType::kSymlink);
  EXPECT_EQ(etc[0].name, "x");
}

TEST(CatalogTest, VarintEncodings) {
  Bytes b;
  AppendVarintU64(b, 300);
  EXPECT_EQ(b, test::Hex("ac02"));
  for (auto [v, hex] : std::initializer_list<std::pair<int64_t, const char*>>{
           {-1, "8100"}, {-129, "818100"}, {1600000000, "80a0f8fa05"}, {0, "00"}}) {
    Bytes e;
    AppendVarintI64(e, v);
    EXPECT_EQ(e, test::Hex(hex)) << v;
  }
  for (uint64_t v : {uint64_t{0}, uint64_t{126}, (uint64_t{1} << 12) - 1, (uint64_t{1} << 20) - 1,
                     (uint64_t{1} << 50) - 1, UINT64_MAX}) {
    Bytes e;
    AppendVarintU64(e, v);
    size_t pos = 0;
    EXPECT_EQ(ReadVarintU64(e, pos), v);
    EXPECT_EQ(pos, e.size());
    if (v <= static_cast<uint64_t>(INT64_MAX)) {  // u64 encodings decode identically as i64
      pos = 0;
      EXPECT_EQ(ReadVarintI64(e, pos), static_cast<int64_t>(v));
    }
  }
  for (int64_t v : {INT64_MIN, INT64_MIN + 1, int64_t{-1}, int64_t{-126}, int64_t{-(1 << 20)}, INT64_MAX}) {
    Bytes e;
    AppendVarintI64(e, v);
    size_t pos = 0;
    EXPECT_EQ(ReadVarintI64(e, pos), v);
    EXPECT_EQ(pos, e.size());
  }
}

TEST(CatalogTest, DamageNeverCrashes) {
  Bytes good = test::Hex(kVector);
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      Bytes bad = good;
      bad[i] ^= flip;
      try {
        Catalog c = Catalog::Parse(bad);
        // Walk the whole tree; either it parses or it throws a clean Error.
        std::vector<uint64_t> todo = {c.root_offset()};
        for (size_t steps = 0; !todo.empty() && steps < 100; ++steps) {
          uint64_t off = todo.back();
          todo.pop_back();
          for (const CatalogEntry& e : c.ReadDirectory(off)) {
            if (e.type == CatalogEntryType::kDirectory) todo.push_back(e.block_offset);
          }
        }
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
      }
    }
  }
  for (size_t len = 0; len < good.size(); ++len) {
    try {
      Catalog c = Catalog::Parse(Bytes(good.begin(), good.begin() + static_cast<long>(len)));
      c.ReadDirectory(c.root_offset());
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    }
  }
}

}  // namespace
}  // namespace cairn
