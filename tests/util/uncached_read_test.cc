#include "core/util/uncached_read.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

#include "core/crypto/aes_gcm.h"
#include "core/util/file.h"
#include "tests/test_support.h"

namespace cairn {
using test::ErrorOf;
using test::TempDir;
using test::WriteFileBytes;
namespace {

// A disk filesystem: on tmpfs the page cache is the storage, and nothing bypasses it.
constexpr const char* kDiskDir = "/var/tmp";

// Pages of the file at `path` in the page cache (mincore on a mapping, which reads nothing).
size_t ResidentPages(const std::filesystem::path& path) {
  UniqueFd fd = OpenForReading(path);
  struct stat st;
  EXPECT_EQ(::fstat(fd.get(), &st), 0);
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) return 0;
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  EXPECT_NE(map, MAP_FAILED);
  std::vector<unsigned char> pages((size + kPageAlignment - 1) / kPageAlignment);
  EXPECT_EQ(::mincore(map, size, pages.data()), 0);
  ::munmap(map, size);
  size_t resident = 0;
  for (unsigned char page : pages) resident += page & 1;
  return resident;
}

// Writes `content` to disk and drops it from the page cache.
void WriteUncached(const std::filesystem::path& path, ByteView content) {
  WriteFileBytes(path, content);
  UniqueFd fd = OpenForReading(path);
  ASSERT_EQ(::fdatasync(fd.get()), 0);
  ASSERT_EQ(::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED), 0);
  ASSERT_EQ(ResidentPages(path), 0u) << path;
}

// Whether the filesystem of `file` takes direct I/O (it says so for regular files only).
bool DirectIoSupported(const std::filesystem::path& file) {
  struct statx stx {};
  return ::statx(AT_FDCWD, file.c_str(), 0, STATX_DIOALIGN, &stx) == 0 && (stx.stx_mask & STATX_DIOALIGN) != 0 &&
         stx.stx_dio_mem_align != 0;
}

TEST(ReadWholeFileUncachedTest, ReadsFilesThatAreNotCachedWithoutCachingThem) {
  TempDir dir(kDiskDir);
  WriteFileBytes(dir / "probe", {});
  ASSERT_TRUE(DirectIoSupported(dir / "probe")) << kDiskDir << " must be on a filesystem with direct I/O (ext4, xfs)";
  for (size_t size : {size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, (size_t{1} << 20) + 12,
                      (size_t{3} << 20) + 5}) {
    Bytes content(size);
    RandomBytes(content);
    const std::filesystem::path file = dir / ("f" + std::to_string(size));
    WriteUncached(file, content);
    // Recycled buffers of every kind: none of what they held may show.
    for (size_t held : {size_t{0}, size_t{10}, size - 1, size, size_t{4} << 20}) {
      AlignedBytes buffer(held, 0xee);
      AlignedBytes read = ReadWholeFileUncached(file, 16 << 20, std::move(buffer));
      EXPECT_EQ(Bytes(read.begin(), read.end()), content) << size << " held " << held;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(read.data()) % kPageAlignment, 0u);
      EXPECT_EQ(ResidentPages(file), 0u) << size << " held " << held;
    }
  }
}

TEST(ReadWholeFileUncachedTest, ReadsFilesThatAreCachedThroughThePageCache) {
  TempDir dir(kDiskDir);
  Bytes content((size_t{1} << 20) + 12);
  RandomBytes(content);
  WriteUncached(dir / "f", content);
  // One page cached: the rest comes through the page cache too, not from the disk again.
  UniqueFd fd = OpenForReading(dir / "f");
  uint8_t first[16];
  ASSERT_EQ(::pread(fd.get(), first, sizeof first, 0), static_cast<ssize_t>(sizeof first));
  ASSERT_GT(ResidentPages(dir / "f"), 0u);
  AlignedBytes read = ReadWholeFileUncached(dir / "f", 16 << 20);
  EXPECT_EQ(Bytes(read.begin(), read.end()), content);
  EXPECT_EQ(ResidentPages(dir / "f"), (content.size() + kPageAlignment - 1) / kPageAlignment);
}

TEST(ReadWholeFileUncachedTest, SaysWhatIsWrong) {
  TempDir dir(kDiskDir);
  WriteFileBytes(dir / "empty", {});
  EXPECT_TRUE(ReadWholeFileUncached(dir / "empty", 100, AlignedBytes(50, 1)).empty());
  WriteFileBytes(dir / "f", Bytes(5000, 7));
  EXPECT_EQ(ErrorOf([&] { ReadWholeFileUncached(dir / "f", 4999); }, ErrorKind::kInvalidInput),
            (dir / "f").string() + " is 5000 bytes, more than the limit of 4999");
  EXPECT_EQ(ErrorOf([&] { ReadWholeFileUncached(dir.path(), 4999); }, ErrorKind::kInvalidInput),
            dir.path().string() + " is not a regular file");
  EXPECT_EQ(ErrorOf([&] { ReadWholeFileUncached(dir / "absent", 4999); }, ErrorKind::kNotFound),
            "cannot open " + (dir / "absent").string() + ": No such file or directory");
}

}  // namespace
}  // namespace cairn
