// Listings from the catalog tie each name to its goodbye record by hash; a catalog that does
// not describe the directory exactly is not used.
#include "core/pxar/catalog_listing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/format/catalog_writer.h"
#include "core/pxar/encoder.h"
#include "tests/pxar/memory_source.h"
#include "tests/pxar/metadata.h"

namespace cairn::pxar {
namespace {

using test::Meta;

// An archive of root {a (file), dir/ {x (file)}, hard (hardlink to a), link (symlink),
// many files n0..n99} and, through `catalog_names`, a catalog of the same tree whose root
// names are `catalog_names` (files) plus the directory, hardlink and symlink.
struct Pair {
  Bytes archive, catalog;
};

Pair Build(const std::vector<std::string>& catalog_names) {
  Pair p;
  Encoder enc([&](ByteView b) { p.archive.insert(p.archive.end(), b.begin(), b.end()); }, Meta(S_IFDIR | 0755));
  CatalogWriter cat([&](ByteView b) { p.catalog.insert(p.catalog.end(), b.begin(), b.end()); });
  cat.StartDirectory("root.pxar.didx");
  uint64_t a = enc.BeginFile("a", Meta(S_IFREG | 0644), 1);
  enc.WriteFileData(AsBytes("a"));
  enc.EndFile();
  enc.BeginDirectory("dir", Meta(S_IFDIR | 0755));
  enc.BeginFile("x", Meta(S_IFREG | 0644), 0);
  enc.EndFile();
  enc.EndDirectory();
  enc.AddHardlink("hard", "a", a);
  enc.AddSymlink("link", Meta(S_IFLNK | 0777), "a");
  for (int i = 0; i < 100; ++i) {
    enc.BeginFile("n" + std::to_string(i), Meta(S_IFREG | 0600), 0);
    enc.EndFile();
  }
  enc.Finish();
  for (const std::string& name : catalog_names) cat.AddFile(name, 0, 0);
  cat.StartDirectory("dir");
  cat.AddFile("x", 0, 0);
  cat.EndDirectory();
  cat.AddEntry(CatalogEntryType::kHardlink, "hard");
  cat.AddEntry(CatalogEntryType::kSymlink, "link");
  cat.EndDirectory();
  cat.Finish();
  return p;
}

std::vector<std::string> FileNames() {
  std::vector<std::string> names = {"a"};
  for (int i = 0; i < 100; ++i) names.push_back("n" + std::to_string(i));
  return names;
}

TEST(CatalogListing, MatchesTheArchiveListingInArchiveOrder) {
  Pair p = Build(FileNames());
  test::MemorySource source(p.archive);
  Accessor acc(source, nullptr, "root.pxar");
  Catalog catalog = Catalog::Parse(p.catalog);
  std::optional<uint64_t> root = FindCatalogDirectory(catalog, "root.pxar.didx", "");
  ASSERT_TRUE(root);
  std::optional<std::vector<CatalogChild>> listed = ListFromCatalog(catalog, *root, acc, acc.Root());
  ASSERT_TRUE(listed);
  std::vector<Entry> decoded = acc.List(acc.Root());
  ASSERT_EQ(listed->size(), decoded.size());
  EXPECT_TRUE(std::is_sorted(listed->begin(), listed->end(),
                             [](const CatalogChild& a, const CatalogChild& b) { return a.entry_start < b.entry_start; }));
  for (size_t i = 0; i < decoded.size(); ++i) {
    const CatalogChild& c = (*listed)[i];
    EXPECT_EQ(c.name, decoded[i].name);
    if (c.type == CatalogEntryType::kHardlink) {
      EXPECT_EQ(decoded[i].hardlink_path, "a");
    } else {
      EXPECT_EQ(c.entry_start, decoded[i].entry_start) << c.name;
    }
  }
  std::optional<uint64_t> dir = FindCatalogDirectory(catalog, "root.pxar.didx", "dir");
  ASSERT_TRUE(dir);
  std::optional<std::vector<CatalogChild>> in_dir = ListFromCatalog(catalog, *dir, acc, *acc.LookupPath("dir"));
  ASSERT_TRUE(in_dir);
  ASSERT_EQ(in_dir->size(), 1u);
  EXPECT_EQ((*in_dir)[0].entry_start, acc.LookupPath("dir/x")->entry_start);
  EXPECT_FALSE(FindCatalogDirectory(catalog, "root.pxar.didx", "dir/x"));
  EXPECT_FALSE(FindCatalogDirectory(catalog, "other.pxar.didx", ""));
}

TEST(CatalogListing, TellsWhetherAnArchiveMayHaveHardlinks) {
  Catalog with = Catalog::Parse(Build(FileNames()).catalog);
  EXPECT_TRUE(MayHaveHardlinks(with, "root.pxar.didx"));
  EXPECT_TRUE(MayHaveHardlinks(with, "other.pxar.didx"));  // not listed: unknown
  Bytes bytes;
  CatalogWriter cat([&](ByteView b) { bytes.insert(bytes.end(), b.begin(), b.end()); });
  cat.StartDirectory("root.pxar.didx");
  cat.StartDirectory("d");
  cat.AddFile("f", 1, 0);
  cat.EndDirectory();
  cat.AddEntry(CatalogEntryType::kSymlink, "l");
  cat.EndDirectory();
  cat.Finish();
  EXPECT_FALSE(MayHaveHardlinks(Catalog::Parse(bytes), "root.pxar.didx"));
}

TEST(CatalogListing, ACatalogOfAnotherTreeIsNotUsed) {
  Pair p = Build(FileNames());
  test::MemorySource source(p.archive);
  Accessor acc(source, nullptr, "root.pxar");
  std::vector<std::string> renamed = FileNames();
  renamed[7] = "renamed";
  std::vector<std::string> missing = FileNames();
  missing.pop_back();
  std::vector<std::string> doubled = FileNames();
  doubled.back() = "n0";
  for (const auto& names : {renamed, missing, doubled}) {
    Catalog catalog = Catalog::Parse(Build(names).catalog);
    std::optional<uint64_t> root = FindCatalogDirectory(catalog, "root.pxar.didx", "");
    ASSERT_TRUE(root);
    EXPECT_FALSE(ListFromCatalog(catalog, *root, acc, acc.Root()));
  }
}

}  // namespace
}  // namespace cairn::pxar
