// The pattern syntax shared by backup (--exclude, .pxarexclude) and restore (--include,
// --exclude): per-component globs and `**` across directory levels, as PBS's pathpatterns.
#include "core/write/exclude_patterns.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(GlobMatchesPath, ComponentGlobsStayInsideOneComponent) {
  EXPECT_TRUE(GlobMatchesPath("a/*.txt", "a/b.txt"));
  EXPECT_FALSE(GlobMatchesPath("a/*.txt", "a/x/b.txt"));
  EXPECT_FALSE(GlobMatchesPath("a*", "ab/c"));
  EXPECT_TRUE(GlobMatchesPath("a/?/[cd]", "a/b/d"));
  EXPECT_TRUE(GlobMatchesPath("*", ".hidden"));
}

TEST(GlobMatchesPath, DoubleStarMatchesAnyNumberOfComponents) {
  EXPECT_TRUE(GlobMatchesPath("a/**/b", "a/b"));
  EXPECT_TRUE(GlobMatchesPath("a/**/b", "a/x/b"));
  EXPECT_TRUE(GlobMatchesPath("a/**/b", "a/x/y/z/b"));
  EXPECT_FALSE(GlobMatchesPath("a/**/b", "a/x/y/c"));
  EXPECT_FALSE(GlobMatchesPath("a/**/b", "c/a/x/b"));
  EXPECT_TRUE(GlobMatchesPath("**/*.log", "x.log"));
  EXPECT_TRUE(GlobMatchesPath("**/*.log", "var/log/deep/x.log"));
  EXPECT_FALSE(GlobMatchesPath("**/*.log", "var/log/x.log/y"));
  EXPECT_TRUE(GlobMatchesPath("var/**", "var"));
  EXPECT_TRUE(GlobMatchesPath("var/**", "var/log/x"));
  EXPECT_TRUE(GlobMatchesPath("**", "any/depth/at/all"));
  EXPECT_TRUE(GlobMatchesPath("a/**/**/b", "a/b"));
  EXPECT_TRUE(GlobMatchesPath("a/**/m*/**/z", "a/1/mid/2/3/z"));
  EXPECT_FALSE(GlobMatchesPath("a/**/m*/**/z", "a/1/2/3/z"));
}

// Many `**` against a deep path: the matcher is polynomial, not backtracking.
TEST(GlobMatchesPath, ManyDoubleStarsOnADeepPathFail) {
  std::string pattern, path;
  for (int i = 0; i < 200; ++i) pattern += "**/a/";
  pattern += "b";
  for (int i = 0; i < 400; ++i) path += "a/";
  path += "c";
  EXPECT_FALSE(GlobMatchesPath(pattern, path));
}

TEST(ExcludeList, DoubleStarInAnchoredAndUnanchoredPatterns) {
  ExcludeList list;
  list.Add("/src/**/build/", "");
  list.Add("cache/**/*.tmp", "");
  list.Add("!**/keep.tmp", "");
  EXPECT_TRUE(list.Excluded("src/build", true));
  EXPECT_TRUE(list.Excluded("src/a/b/build", true));
  EXPECT_FALSE(list.Excluded("src/a/b/build", false));  // directories only
  EXPECT_FALSE(list.Excluded("other/src/build", true));  // anchored at the root
  EXPECT_TRUE(list.Excluded("cache/x.tmp", false));
  EXPECT_TRUE(list.Excluded("cache/d/e/x.tmp", false));
  EXPECT_FALSE(list.Excluded("home/cache/d/x.tmp", false));  // '/' inside: anchored
  EXPECT_FALSE(list.Excluded("cache/d/e/keep.tmp", false));
}

TEST(ExcludeList, PatternsOfAPxarexcludeApplyBelowTheirDirectory) {
  ExcludeList list;
  list.Add("**/*.o", "proj");
  EXPECT_TRUE(list.Excluded("proj/a/b/c.o", false));
  EXPECT_TRUE(list.Excluded("proj/c.o", false));
  EXPECT_FALSE(list.Excluded("other/c.o", false));
}

}  // namespace
}  // namespace cairn
