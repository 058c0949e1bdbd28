// ExtFilesystem (libext2fs through a BlockSource) and the filesystem probe, on filesystems
// made by mkfs in the test.
#include "core/image_fs/ext_filesystem.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/image_fs/filesystem_probe.h"
#include "core/read/memory_source.h"
#include "tests/nbd/nbd_fixture.h"
#include "tests/partition/disk_images.h"
#include "tests/partition/source_tree.h"
#include "tests/test_support.h"

namespace cairn::test {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// Fails every read with the error it was given.
class FailingSource final : public BlockSource {
 public:
  FailingSource(ByteView data, ErrorKind kind) : data_(data), kind_(kind) {}
  uint64_t size() const override { return data_.size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    if (failing) throw Error(kind_, "chunk at " + std::to_string(offset) + " cannot be decoded");
    return MemorySource(data_).Read(offset, out);
  }
  std::vector<Extent> Extents(uint64_t, uint64_t) const override { return {}; }
  bool failing = false;

 private:
  ByteView data_;
  ErrorKind kind_;
};

class ExtFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeSourceTree(tmp_ / "src");
    image_ = MakeExt4(tmp_ / "ext4", 16 * kMiB, tmp_ / "src", "-L rootfs");
    fs_ = std::make_unique<ExtFilesystem>(std::make_shared<MemorySource>(image_), "test.img");
  }

  std::string ReadAll(uint32_t ino) {
    ExtStat st = fs_->Stat(ino);
    std::string data(st.size, '\0');
    EXPECT_EQ(fs_->Read(ino, 0, std::span(reinterpret_cast<uint8_t*>(data.data()), data.size())), st.size);
    return data;
  }

  TempDir tmp_;
  Bytes image_;
  std::unique_ptr<ExtFilesystem> fs_;
};

TEST_F(ExtFilesystemTest, ReadsFilesLinksAndMetadata) {
  EXPECT_EQ(fs_->label(), "rootfs");
  std::optional<uint32_t> fstab = fs_->Resolve("/etc/fstab");
  ASSERT_TRUE(fstab);
  EXPECT_EQ(fs_->Resolve("etc/fstab"), fstab);
  EXPECT_EQ(fs_->Resolve("etc/fstab.hardlink"), fstab);
  EXPECT_EQ(fs_->Resolve("/"), ExtFilesystem::kRootIno);
  EXPECT_EQ(fs_->Resolve("etc/missing"), std::nullopt);
  EXPECT_EQ(fs_->Resolve("etc/fstab/below"), std::nullopt);
  EXPECT_EQ(ReadAll(*fstab), "UUID=1234 / ext4 defaults 0 1\n");

  ExtStat st = fs_->Stat(*fstab);
  EXPECT_EQ(st.mode, S_IFREG | 0640u);
  EXPECT_EQ(st.nlink, 2u);
  EXPECT_EQ(st.mtime.sec, 1700000000);
  if (geteuid() == 0) {
    EXPECT_EQ(st.uid, 1234u);
    EXPECT_EQ(st.gid, 5678u);
  }

  // Partial reads at an offset, and past the end.
  uint8_t buf[4];
  EXPECT_EQ(fs_->Read(*fstab, 5, buf), 4u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 4), "1234");
  EXPECT_EQ(fs_->Read(*fstab, st.size, buf), 0u);
  EXPECT_EQ(fs_->Read(*fstab, st.size - 2, buf), 2u);

  Bytes big = ReadFileBytes(tmp_ / "src/bin/big");
  std::string got = ReadAll(*fs_->Resolve("bin/big"));
  EXPECT_TRUE(got == std::string(big.begin(), big.end()));

  EXPECT_EQ(fs_->ReadLink(*fs_->Resolve("short-link")), "etc/fstab");
  EXPECT_EQ(fs_->ReadLink(*fs_->Resolve("long-link")), "/" + std::string(200, 'x') + "/target");
  std::vector<std::pair<std::string, std::string>> xattrs =
      fs_->Xattrs(*fs_->Resolve("etc/deep/er/note.txt"));
  EXPECT_NE(
      std::find(xattrs.begin(), xattrs.end(), std::pair<std::string, std::string>{"user.comment", "hello"}),
      xattrs.end());

  std::vector<std::string> names;
  for (const ExtDirEntry& e : fs_->List(ExtFilesystem::kRootIno)) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"bin", "empty", "etc", "long-link", "lost+found", "private",
                                             "short-link"}));
}

TEST_F(ExtFilesystemTest, WrongKindsAndMissingInodesAreErrors) {
  uint32_t dir = *fs_->Resolve("etc");
  uint8_t buf[8];
  try {
    fs_->Read(dir, 0, buf);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(std::string(e.what()), "test.img: inode " + std::to_string(dir) + " is not a regular file");
  }
  EXPECT_THROW(fs_->ReadLink(dir), Error);
  EXPECT_THROW(fs_->List(*fs_->Resolve("etc/fstab")), Error);
  try {
    fs_->Stat(0xFFFFFFF);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
}

TEST_F(ExtFilesystemTest, NotExtIsCorruptAndSourceErrorsKeepTheirKind) {
  Bytes zeros(4 * kMiB, 0);
  try {
    ExtFilesystem fs(std::make_shared<MemorySource>(zeros), "zeros.img");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(std::string(e.what()), "zeros.img: not an ext2/3/4 filesystem");
  }
  auto failing = std::make_shared<FailingSource>(image_, ErrorKind::kCrypto);
  ExtFilesystem fs(failing, "locked.img");
  failing->failing = true;
  try {
    fs.Read(*fs.Resolve("bin/big"), 0, std::span<uint8_t>(Bytes(4096).data(), 4096));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCrypto) << e.what();
  }
}

TEST(FilesystemProbeTest, NamesWhatMkfsMade) {
  TempDir tmp;
  auto probe = [](const Bytes& data) {
    MemorySource source(data);
    return ProbeFilesystem(source).name;
  };
  std::filesystem::create_directory(tmp / "empty");
  EXPECT_EQ(probe(MakeExt4(tmp / "ext4", 8 * kMiB, tmp / "empty")), "ext4");
  ASSERT_EQ(Sh("mkfs.ext2 -q -F '" + (tmp / "ext2").string() + "' 4096k").exit_code, 0);
  EXPECT_EQ(probe(ReadFileBytes(tmp / "ext2")), "ext2");
  ASSERT_EQ(Sh("mkfs.ext3 -q -F '" + (tmp / "ext3").string() + "' 8192k").exit_code, 0);
  EXPECT_EQ(probe(ReadFileBytes(tmp / "ext3")), "ext3");
  EXPECT_EQ(probe(MakeVfat(tmp / "vfat", 8 * kMiB, {})), "vfat");
  EXPECT_EQ(probe(MakeSwap(tmp / "swap", 4 * kMiB)), "swap");
  EXPECT_EQ(probe(Bytes(1 * kMiB, 0)), "");
  EXPECT_EQ(probe(Bytes(10, 0)), "");
  Bytes xfs(8192, 0);
  std::memcpy(xfs.data(), "XFSB", 4);
  EXPECT_EQ(probe(xfs), "xfs");
  Bytes lvm(8192, 0);
  std::memcpy(lvm.data() + 512, "LABELONE", 8);
  std::memcpy(lvm.data() + 512 + 24, "LVM2 001", 8);
  EXPECT_EQ(probe(lvm), "LVM2_member");
  Bytes btrfs(65536 + 4096, 0);
  std::memcpy(btrfs.data() + 65536 + 64, "_BHRfS_M", 8);
  EXPECT_EQ(probe(btrfs), "btrfs");
  Bytes ntfs(8192, 0);
  std::memcpy(ntfs.data() + 3, "NTFS    ", 8);
  EXPECT_EQ(probe(ntfs), "ntfs");
  EXPECT_EQ(MountHint({FilesystemKind::kXfs, "xfs"}, "a/1"), "mount -t xfs -o loop,ro,norecovery 'a/1' /mnt");
  EXPECT_EQ(MountHint({FilesystemKind::kSwap, "swap"}, "a/1"), "");
}

}  // namespace
}  // namespace cairn::test
