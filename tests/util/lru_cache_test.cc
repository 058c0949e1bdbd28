#include "core/util/lru_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

std::shared_ptr<const std::string> Value(const char* text) { return std::make_shared<const std::string>(text); }

TEST(LruCache, EvictsTheLeastRecentlyUsedBeyondItsWeight) {
  LruCache<int, const std::string> cache(10);
  cache.Insert(1, Value("one"), 4);
  cache.Insert(2, Value("two"), 4);
  ASSERT_NE(cache.Find(1), nullptr);  // now 2 is the least recently used
  cache.Insert(3, Value("three"), 4);
  EXPECT_EQ(cache.Find(2), nullptr);
  EXPECT_EQ(*cache.Find(1), "one");
  EXPECT_EQ(*cache.Find(3), "three");
}

TEST(LruCache, KeepsWhatIsThereAndNothingHeavierThanItAll) {
  LruCache<int, const std::string> cache(10);
  cache.Insert(1, Value("first"));
  EXPECT_EQ(*cache.Insert(1, Value("second")), "first");
  EXPECT_EQ(*cache.Insert(2, Value("huge"), 11), "huge");
  EXPECT_EQ(cache.Find(2), nullptr);
  EXPECT_EQ(*cache.Find(1), "first");
}

TEST(LruCache, ErasingGivesBackItsWeight) {
  LruCache<int, const std::string> cache(10);
  cache.Insert(1, Value("one"), 6);
  cache.Erase(1);
  cache.Erase(7);  // absent: nothing happens
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(*cache.Insert(1, Value("again"), 6), "again");
  cache.Insert(2, Value("two"), 4);
  EXPECT_EQ(*cache.Find(1), "again");  // 6 + 4 fit: the erased weight was given back
  EXPECT_EQ(*cache.Find(2), "two");
}

}  // namespace
}  // namespace cairn
