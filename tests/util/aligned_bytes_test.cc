#include "core/util/aligned_bytes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace cairn {
namespace {

// The entry of /proc/self/smaps for the mapping that holds `address`, or nullopt.
struct Mapping {
  uintptr_t end = 0;
  size_t resident_kib = 0;  // Rss
  std::string flags;        // VmFlags, e.g. "rd wr mr mw me ac hg"
};
std::optional<Mapping> MappingOf(const void* address) {
  const auto at = reinterpret_cast<uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::optional<Mapping> found;
  for (std::string line; std::getline(smaps, line);) {
    if (line.rfind("VmFlags:", 0) == 0) {
      if (found) {
        found->flags = line.substr(8);
        return found;
      }
      continue;
    }
    if (found && line.rfind("Rss:", 0) == 0) found->resident_kib = std::stoul(line.substr(4));
    uintptr_t start = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> start >> dash >> end && dash == '-' && start <= at && at < end) {
      found.emplace();
      found->end = end;
    }
  }
  return found;
}

bool Advised(const Mapping& mapping) { return (" " + mapping.flags + " ").find(" hg ") != std::string::npos; }

TEST(AlignedBytesTest, StorageIsPageAlignedAndKeepsItsBytesThroughGrowth) {
  const size_t huge = BufferHugePageSize() != 0 ? BufferHugePageSize() : size_t{2} << 20;
  for (size_t size : {size_t{1}, size_t{4095}, size_t{4097}, size_t{1} << 20, huge - 1, huge, huge + 1,
                      2 * huge + 1, size_t{9} << 20}) {
    AlignedBytes bytes;
    for (size_t i = 0; i < size; ++i) bytes.push_back(static_cast<uint8_t>(i * 7 + i / 4096));
    ASSERT_EQ(bytes.size(), size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes.data()) % kPageAlignment, 0u) << size;
    bytes.shrink_to_fit();  // a reallocation to exactly `size`, freeing the grown storage
    EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes.data()) % kPageAlignment, 0u) << size;
    for (size_t i = 0; i < size; ++i) {
      ASSERT_EQ(bytes[i], static_cast<uint8_t>(i * 7 + i / 4096)) << size << " at " << i;
    }
  }
}

TEST(AlignedBytesTest, BuffersOfAHugePageAndMoreAreMappedOnTheirOwnAndAdvisedForHugePages) {
  const size_t huge = BufferHugePageSize();
  if (huge == 0) {
    // Heap only: no buffer is advised.
    AlignedBytes bytes(size_t{8} << 20, 1);
    std::optional<Mapping> mapping = MappingOf(bytes.data());
    ASSERT_TRUE(mapping);
    EXPECT_FALSE(Advised(*mapping)) << mapping->flags;
    return;
  }
  EXPECT_EQ(huge % kPageAlignment, 0u);
  {
    // Smaller: from the heap, not advised.
    AlignedBytes small(huge - 1, 1);
    std::optional<Mapping> mapping = MappingOf(small.data());
    ASSERT_TRUE(mapping);
    EXPECT_FALSE(Advised(*mapping)) << mapping->flags;
  }
  // Two huge pages and a byte (as a decode's buffer has), written whole: the storage starts
  // on a huge page, and the page past the huge pages is not faulted in as a huge page.
  AlignedBytes bytes(2 * huge + 1, 1);
  const uint8_t* data = bytes.data();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % huge, 0u);
  std::optional<Mapping> mapping = MappingOf(data);
  ASSERT_TRUE(mapping);
  EXPECT_TRUE(Advised(*mapping)) << mapping->flags;
  EXPECT_GT(mapping->end, reinterpret_cast<uintptr_t>(data) + 2 * huge);
  EXPECT_LE(mapping->resident_kib * 1024, 2 * huge + kPageAlignment);
  // Freed: returned to the kernel at once.
  AlignedBytes().swap(bytes);
  EXPECT_FALSE(MappingOf(data));
  EXPECT_FALSE(MappingOf(data + 2 * huge));
}

}  // namespace
}  // namespace cairn
