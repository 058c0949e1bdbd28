// Restoring from an ext4 filesystem inside a partitioned disk image, as `cairn restore`
// will: parse the `drive-scsi0.img.fs/N/...` path, open the volume, restore a file or a tree.
#include "core/image_fs/ext_restore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "core/image_fs/image_fs_path.h"
#include "core/read/memory_source.h"
#include "tests/partition/disk_images.h"
#include "tests/partition/source_tree.h"
#include "tests/test_support.h"

namespace cairn::test {
namespace {

constexpr uint64_t kMiB = 1 << 20;

std::string FailureOf(const std::function<void()>& body) {
  try {
    body();
    return "ok";
  } catch (const Error& e) {
    return std::string(ErrorKindName(e.kind())) + ": " + e.what();
  }
}

class ExtRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeSourceTree(tmp_ / "src");
    std::vector<SfdiskPartition> parts =
        Sfdisk(tmp_ / "disk", 48 * kMiB, "label: gpt\nsize=8MiB, type=uefi\nsize=24MiB, type=linux\n");
    ASSERT_EQ(parts.size(), 2u);
    WriteAt(tmp_ / "disk", parts[0].offset, MakeVfat(tmp_ / "vfat", 8 * kMiB, {}));
    WriteAt(tmp_ / "disk", parts[1].offset, MakeExt4(tmp_ / "ext4", 24 * kMiB, tmp_ / "src"));
    disk_ = std::make_shared<Bytes>(ReadFileBytes(tmp_ / "disk"));
    source_ = std::make_shared<MemorySource>(*disk_);
    fs_ = OpenVolumeFilesystem(source_, 2, "vm/100/drive-scsi0.img");
  }

  TempDir tmp_;
  std::shared_ptr<Bytes> disk_;
  std::shared_ptr<BlockSource> source_;
  std::unique_ptr<ExtFilesystem> fs_;
};

TEST_F(ExtRestoreTest, WholeTreeWithMetadata) {
  ExtRestoreStats stats = RestoreExtPath(*fs_, "/", tmp_ / "out");
  EXPECT_EQ(stats.files, 4u);
  EXPECT_EQ(stats.hardlinks, 1u);
  EXPECT_EQ(stats.symlinks, 2u);
  EXPECT_EQ(stats.directories, 7u);  // root, lost+found, etc, etc/deep, etc/deep/er, bin, private
  EXPECT_EQ(stats.bytes, 5u * 1024 * 1024 + 123 + 30 + 10);
  EXPECT_EQ(CompareTrees(tmp_ / "src", tmp_ / "out", CompareOptions{::geteuid() == 0, true, false}), 12u);
  struct stat a, b;
  ASSERT_EQ(lstat((tmp_ / "out/etc/fstab").c_str(), &a), 0);
  ASSERT_EQ(lstat((tmp_ / "out/etc/fstab.hardlink").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
  if (stats.xattr_failures == 0) {
    char value[16] = {};
    EXPECT_EQ(getxattr((tmp_ / "out/etc/deep/er/note.txt").c_str(), "user.comment", value, sizeof value), 5);
    EXPECT_STREQ(value, "hello");
  }
}

TEST_F(ExtRestoreTest, OneFileAndTheErrors) {
  std::filesystem::path out = tmp_ / "fstab";
  ExtRestoreStats stats = RestoreExtPath(*fs_, "etc/fstab", out);
  EXPECT_EQ(stats.files, 1u);
  EXPECT_EQ(stats.bytes, 30u);
  EXPECT_EQ(ReadFileBytes(out), ReadFileBytes(tmp_ / "src/etc/fstab"));
  struct stat st;
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFREG | 0640u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);

  EXPECT_EQ(FailureOf([&] { RestoreExtPath(*fs_, "etc/fstab", out); }),
            "invalid input: " + out.string() + " exists (restore does not overwrite without being told to)");
  ExtRestoreOptions overwrite;
  overwrite.overwrite = true;
  EXPECT_EQ(RestoreExtPath(*fs_, "bin/big", out, overwrite).bytes, 5u * 1024 * 1024 + 123);
  EXPECT_EQ(FailureOf([&] { RestoreExtPath(*fs_, "etc/nothing", tmp_ / "x"); }),
            "not found: vm/100/drive-scsi0.img volume 2: no etc/nothing");
  EXPECT_EQ(FailureOf([&] { OpenVolumeFilesystem(source_, 1, "vm/100/drive-scsi0.img"); }),
            "unsupported: vm/100/drive-scsi0.img volume 1 holds vfat, not ext2/3/4");
  EXPECT_EQ(FailureOf([&] { OpenVolumeFilesystem(source_, 3, "vm/100/drive-scsi0.img"); }),
            "not found: vm/100/drive-scsi0.img has no volume 3");
}

TEST(ImageFsPathTest, Parses) {
  std::optional<ImageFsPath> p = ParseImageFsPath("drive-scsi0.img.fs/1/etc/fstab");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->image, "drive-scsi0.img");
  EXPECT_EQ(p->volume, 1u);
  EXPECT_EQ(p->inner, "etc/fstab");
  p = ParseImageFsPath("/drive-virtio1.img.fs/0/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->image, "drive-virtio1.img");
  EXPECT_EQ(p->volume, 0u);
  EXPECT_EQ(p->inner, "");
  EXPECT_FALSE(ParseImageFsPath("drive-scsi0.img/1/etc"));
  EXPECT_FALSE(ParseImageFsPath("drive-scsi0.img.fs/01/etc"));
  EXPECT_FALSE(ParseImageFsPath("drive-scsi0.img.fs/x"));
  EXPECT_FALSE(ParseImageFsPath("drive-scsi0.img.fs"));
  EXPECT_FALSE(ParseImageFsPath(".img.fs/1"));
  EXPECT_FALSE(ParseImageFsPath("root.pxar/etc/fstab"));
  EXPECT_EQ(ParseVolumeNumber("4294967295"), 4294967295u);
  EXPECT_FALSE(ParseVolumeNumber("4294967296"));
  EXPECT_FALSE(ParseVolumeNumber("+1"));
  EXPECT_FALSE(ParseVolumeNumber(""));
}

}  // namespace
}  // namespace cairn::test
