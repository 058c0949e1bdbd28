// Damaged datastores through the FUSE mount: a corrupt, a missing and a truncated chunk make
// reads of their ranges fail with EIO while every other range reads exactly, each failure
// logged once with datastore, snapshot, archive, offset and digest; a damaged index or
// manifest fails that snapshot only.
#include <cerrno>

#include "core/format/fixed_index.h"
#include "core/util/hex.h"
#include "tests/fs/mount_fixture.h"

namespace cairn::test {
namespace {

constexpr uint64_t kChunk = 4 << 20;
constexpr char kTime[] = "2024-05-01T10:00:00Z";

class FaultInjectionTest : public MountFixture {
 protected:
  // The chunk file of chunk `i` of the image of snapshot vm/`id`.
  std::filesystem::path ChunkFileOf(const std::string& id, size_t i, std::string* digest_hex) {
    Digest digest = FixedIndex::Open(std::filesystem::path(store_) / "vm" / id / kTime / "drive-scsi0.img.fidx").digest(i);
    *digest_hex = ToHex(digest);
    return ChunkFile(store_, digest);
  }
};

TEST_F(FaultInjectionTest, DamagedChunksFailOnlyTheirRangesAndAreLoggedOnce) {
  // MixedImage cycles zero, text, random: chunks 1, 2, 4, 5 hold data, all distinct; zero
  // chunks are served without reading any file.
  Bytes image = MixedImage(6, 1000, 11);
  BackupImage("100", kTime, image);
  std::string corrupt_hex, missing_hex, truncated_hex;
  std::filesystem::path corrupt = ChunkFileOf("100", 1, &corrupt_hex);
  std::filesystem::path missing = ChunkFileOf("100", 2, &missing_hex);
  std::filesystem::path truncated = ChunkFileOf("100", 5, &truncated_hex);
  ASSERT_NE(corrupt_hex, missing_hex);
  ASSERT_NE(missing_hex, truncated_hex);
  Bytes bytes = ReadFileBytes(corrupt);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteFileBytes(corrupt, bytes);
  std::filesystem::remove(missing);
  bytes = ReadFileBytes(truncated);
  WriteFileBytes(truncated, ByteView(bytes).first(bytes.size() / 2));

  Mount();
  std::filesystem::path file = mnt_ / "vm/100" / kTime / "drive-scsi0.img";
  for (size_t i = 0; i * kChunk < image.size(); ++i) {
    uint64_t offset = i * kChunk;
    size_t length = std::min<uint64_t>(kChunk, image.size() - offset);
    Bytes got;
    int error = PreadRange(file, offset, length, got);
    if (i == 1 || i == 2 || i == 5) {
      EXPECT_EQ(error, EIO) << "chunk " << i;
    } else {
      ASSERT_EQ(error, 0) << "chunk " << i;
      EXPECT_TRUE(std::equal(got.begin(), got.end(), image.begin() + offset)) << "chunk " << i;
    }
  }
  // A 4 KiB read inside a good chunk next to a bad one still works, even at the boundary.
  Bytes got;
  ASSERT_EQ(PreadRange(file, 4 * kChunk - 4096, 4096, got), 0);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), image.begin() + 4 * kChunk - 4096));

  std::string log = MountLog();
  for (const auto& [hex, offset] : {std::pair{corrupt_hex, kChunk}, {missing_hex, 2 * kChunk}, {truncated_hex, 5 * kChunk}}) {
    size_t at = log.find(hex);
    ASSERT_NE(at, std::string::npos) << hex << " not in log:\n" << log;
    EXPECT_EQ(log.find(hex, log.find('\n', at)), std::string::npos) << hex << " logged more than once:\n" << log;
    std::string line = log.substr(log.rfind('\n', at) + 1, log.find('\n', at) - log.rfind('\n', at) - 1);
    EXPECT_NE(line.find(store_), std::string::npos) << line;
    std::string snapshot = "vm/100/";
    snapshot += kTime;
    EXPECT_NE(line.find(snapshot), std::string::npos) << line;
    EXPECT_NE(line.find("drive-scsi0.img"), std::string::npos) << line;
    EXPECT_NE(line.find("offset " + std::to_string(offset)), std::string::npos) << line;
  }
}

TEST_F(FaultInjectionTest, DamagedIndexOrManifestFailsOnlyThatSnapshot) {
  Bytes good = MixedImage(2, 10, 12), other = MixedImage(1, 20, 13);
  BackupImage("100", kTime, good);
  BackupImage("200", kTime, other);
  BackupImage("300", kTime, other);
  std::filesystem::path fidx = std::filesystem::path(store_) / "vm/200" / kTime / "drive-scsi0.img.fidx";
  Bytes bytes = ReadFileBytes(fidx);
  WriteFileBytes(fidx, ByteView(bytes).first(bytes.size() - 5));
  WriteFileBytes(std::filesystem::path(store_) / "vm/300" / kTime / "index.json.blob", AsBytes("garbage"));

  Mount();
  EXPECT_EQ(ReadFileBytes(mnt_ / "vm/100" / kTime / "drive-scsi0.img"), good);
  Bytes got;
  EXPECT_EQ(PreadRange(mnt_ / "vm/200" / kTime / "drive-scsi0.img", 0, 4096, got), EIO);
  EXPECT_NE(MountLog().find(fidx.string()), std::string::npos) << MountLog();
  // The snapshot with the broken manifest is still listed; what is inside fails with EIO.
  EXPECT_TRUE(std::filesystem::is_directory(mnt_ / "vm/300" / kTime));
  std::error_code ec;
  (void)std::filesystem::exists(mnt_ / "vm/300" / kTime / "drive-scsi0.img", ec);
  EXPECT_EQ(ec.value(), EIO);
  EXPECT_NE(MountLog().find((std::filesystem::path(store_) / "vm/300" / kTime / "index.json.blob").string()),
            std::string::npos)
      << MountLog();
}

}  // namespace
}  // namespace cairn::test
