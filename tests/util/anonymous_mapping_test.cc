#include "core/util/anonymous_mapping.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

namespace cairn {
namespace {

// How many pages of [data, data + bytes) are resident (mincore), or nullopt when part of
// the range is not mapped.
std::optional<size_t> ResidentPages(const uint8_t* data, size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((bytes + page - 1) / page);
  if (mincore(const_cast<uint8_t*>(data), bytes, resident.data()) != 0) {
    EXPECT_EQ(errno, ENOMEM);
    return std::nullopt;
  }
  size_t count = 0;
  for (unsigned char r : resident) count += r & 1;
  return count;
}

TEST(AnonymousMappingTest, PagesAreResidentOnlyOnceWrittenAndGoBackWhenDestroyed) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t bytes = 256 * page + 100;  // a partial last page
  uint8_t* data;
  {
    AnonymousMapping mapping(bytes);
    data = mapping.bytes().data();
    ASSERT_EQ(mapping.bytes().size(), bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % page, 0u);
    EXPECT_EQ(ResidentPages(data, bytes), 0u);

    for (size_t i = 0; i < 10 * page; ++i) data[i] = static_cast<uint8_t>(i);
    data[bytes - 1] = 0xab;
    EXPECT_EQ(ResidentPages(data, bytes), 11u);
    EXPECT_EQ(data[5 * page + 3], static_cast<uint8_t>(5 * page + 3));
    EXPECT_EQ(data[20 * page], 0);  // zeros until written
    EXPECT_EQ(data[bytes - 1], 0xab);
  }
  EXPECT_EQ(ResidentPages(data, bytes), std::nullopt);  // unmapped
}

TEST(AnonymousMappingTest, ZeroBytesMapNothing) {
  AnonymousMapping mapping(0);
  EXPECT_TRUE(mapping.bytes().empty());
}

}  // namespace
}  // namespace cairn
