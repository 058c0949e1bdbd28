// Readers over real snapshots: written by SnapshotWriter/BackupImage, opened through
// SnapshotReader, chunks in the datastore's .chunks directory.
#include <gtest/gtest.h>

#include "core/crypto/crypt_config.h"
#include "core/format/blob.h"
#include "core/read/archive_reader.h"
#include "core/read/image_reader.h"
#include "core/store/snapshot_reader.h"
#include "core/util/error.h"
#include "core/util/hex.h"
#include "core/write/image_backup.h"
#include "core/write/snapshot_writer.h"
#include "tests/read/memory_archive.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

constexpr uint64_t kChunk = 64 << 10;

// A datastore with only the .chunks prefix directories `data`'s chunks need: creating all
// 65536 (InitDatastore) takes many seconds on slow file systems.
void MakeSmallDatastore(const std::filesystem::path& root, ByteView data, const CryptConfig* crypt) {
  std::filesystem::create_directories(root / ".chunks");
  test::WriteFileBytes(root / ".lock", {});
  for (uint64_t at = 0; at < data.size(); at += kChunk) {
    Digest digest = ChunkDigestOf(data.subspan(at, std::min<uint64_t>(kChunk, data.size() - at)), crypt);
    std::filesystem::create_directories(root / ".chunks" / ToHex(digest).substr(0, 4));
  }
}

class SnapshotImageTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) crypt_ = std::make_unique<CryptConfig>(test::SequentialKey());
    data_ = test::MixedImageData(10, kChunk, 3000, 31);  // chunks 2 and 7 are zero
    MakeSmallDatastore(dir_ / "ds", data_, crypt_.get());
    datastore_ = std::make_unique<Datastore>(
        Datastore::Open((dir_ / "ds").string(), DatastoreOptions{dir_ / "datastore.cfg", dir_ / "run"}));
    test::WriteFileBytes(dir_ / "disk.raw", data_);
    SnapshotWriter writer(*datastore_, snapshot_, crypt_.get());
    BackupImage(writer, "drive-scsi0.img", dir_ / "disk.raw", kChunk);
    writer.Finish();
  }

  test::TempDir dir_;
  std::unique_ptr<CryptConfig> crypt_;
  std::unique_ptr<Datastore> datastore_;
  Snapshot snapshot_{BackupGroup{BackupNamespace{}, BackupType::kVm, "100"}, 1700000000};
  Bytes data_;
};

TEST_P(SnapshotImageTest, ReadsTheImageAndNamesItInErrors) {
  SnapshotReader snapshot(*datastore_, snapshot_, crypt_.get());
  ChunkCache cache({.budget = 1 << 20, .decode_threads = 2});
  std::unique_ptr<IndexReader> reader = OpenArchiveReader(snapshot, "drive-scsi0.img.fidx", cache);
  Bytes all(data_.size() + 10);
  all.resize(reader->Read(0, all));
  EXPECT_EQ(all, data_);
  // Zero chunks are recognized by their (keyed, when encrypted) digest.
  std::vector<Extent> extents = reader->Extents(0, data_.size());
  std::vector<Extent> expected = {{0, 2 * kChunk, false},
                                  {2 * kChunk, kChunk, true},
                                  {3 * kChunk, 4 * kChunk, false},
                                  {7 * kChunk, kChunk, true},
                                  {8 * kChunk, 2 * kChunk + 3000, false}};
  EXPECT_EQ(extents, expected);

  // Damage chunk 4 on disk; a new cache (the old one holds it decoded) must report it.
  const Digest digest = reader->chunk_digest(4);
  auto local = std::dynamic_pointer_cast<const LocalChunkStore>(datastore_->chunk_store());
  ASSERT_TRUE(local);
  Bytes chunk = test::ReadFileBytes(local->ChunkPath(digest));
  chunk.back() ^= 1;
  test::WriteFileBytes(local->ChunkPath(digest), chunk);

  ChunkCache fresh({.budget = 1 << 20, .decode_threads = 2});
  std::unique_ptr<ImageReader> image = ImageReader::Open(snapshot, "drive-scsi0.img.fidx", fresh);
  Bytes out(100);
  try {
    image->Read(4 * kChunk + 10, out);
    ADD_FAILURE() << "read of a damaged chunk succeeded";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << message;
    for (const std::string& part :
         {(dir_ / "ds").string(), std::string("vm/100/2023-11-14T22:13:20Z"),
          std::string("drive-scsi0.img.fidx"), ToHex(digest), "offset " + std::to_string(4 * kChunk)}) {
      EXPECT_NE(message.find(part), std::string::npos) << part << " not in: " << message;
    }
  }
  EXPECT_EQ(image->Read(5 * kChunk, out), out.size());
}

INSTANTIATE_TEST_SUITE_P(PlainAndEncrypted, SnapshotImageTest, ::testing::Bool());

}  // namespace
}  // namespace cairn
