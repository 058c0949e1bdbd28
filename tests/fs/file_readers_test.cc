#include "fs/file_readers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

#include "tests/fs/mount_fixture.h"

namespace cairn::fs {
namespace {

// A reader that counts how many of its kind are alive and reads as its own number.
class CountedReader : public FileReader {
 public:
  CountedReader(std::atomic<int>& alive, uint8_t number) : alive_(alive), number_(number) { ++alive_; }
  ~CountedReader() override { --alive_; }
  size_t Read(uint64_t, std::span<uint8_t> out) override {
    std::memset(out.data(), number_, out.size());
    return out.size();
  }

 private:
  std::atomic<int>& alive_;
  const uint8_t number_;
};

uint8_t FirstByte(FileReader& reader) {
  uint8_t byte = 0;
  reader.Read(0, std::span<uint8_t>(&byte, 1));
  return byte;
}

class FileReadersTest : public ::testing::Test {
 protected:
  std::function<std::unique_ptr<FileReader>()> Open(uint8_t number) {
    return [this, number] {
      ++opened_;
      return std::make_unique<CountedReader>(alive_, number);
    };
  }

  std::atomic<int> alive_ = 0;
  int opened_ = 0;
};

TEST_F(FileReadersTest, OneReaderPerInode) {
  FileReaders readers(4, std::chrono::hours(1));
  std::shared_ptr<FileReader> a = readers.Get(7, Open(7));
  std::shared_ptr<FileReader> again = readers.Get(7, Open(99));
  std::shared_ptr<FileReader> b = readers.Get(8, Open(8));
  EXPECT_EQ(a, again);
  EXPECT_EQ(FirstByte(*again), 7);
  EXPECT_EQ(FirstByte(*b), 8);
  EXPECT_EQ(opened_, 2);
  EXPECT_EQ(readers.size(), 2u);
}

TEST_F(FileReadersTest, TheLeastRecentlyUsedGoesBeyondCapacity) {
  {
    FileReaders readers(2, std::chrono::hours(1));
    readers.Get(1, Open(1));
    readers.Get(2, Open(2));
    readers.Get(1, Open(1));  // 2 is now the least recently used
    readers.Get(3, Open(3));
    EXPECT_EQ(readers.size(), 2u);
    EXPECT_EQ(alive_, 2);
    EXPECT_EQ(opened_, 3);
    readers.Get(1, Open(1));
    EXPECT_EQ(opened_, 3);  // still kept
    readers.Get(2, Open(2));
    EXPECT_EQ(opened_, 4);  // closed before, opened again
  }
  EXPECT_EQ(alive_, 0);  // all closed with the cache
}

TEST_F(FileReadersTest, AReaderInUseOutlivesItsEviction) {
  FileReaders readers(1, std::chrono::hours(1));
  std::shared_ptr<FileReader> in_use = readers.Get(1, Open(1));
  readers.Get(2, Open(2));
  EXPECT_EQ(alive_, 2);
  EXPECT_EQ(FirstByte(*in_use), 1);
  in_use.reset();
  EXPECT_EQ(alive_, 1);
}

TEST_F(FileReadersTest, IdleReadersAreClosed) {
  FileReaders readers(8, std::chrono::milliseconds(50));
  readers.Get(1, Open(1));
  readers.Get(2, Open(2));
  EXPECT_TRUE(test::WaitFor([&] { return alive_ == 0; }, 30));
  EXPECT_EQ(readers.size(), 0u);
  readers.Get(1, Open(1));
  EXPECT_EQ(opened_, 3);
}

TEST_F(FileReadersTest, AFailedOpenKeepsNothing) {
  FileReaders readers(4, std::chrono::hours(1));
  EXPECT_THROW(readers.Get(5, [] () -> std::unique_ptr<FileReader> { throw std::runtime_error("gone"); }),
               std::runtime_error);
  EXPECT_EQ(readers.size(), 0u);
  EXPECT_EQ(FirstByte(*readers.Get(5, Open(5))), 5);
}

}  // namespace
}  // namespace cairn::fs
