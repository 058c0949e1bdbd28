// A snapshot pruned and its chunks garbage-collected while a FUSE reader has its files open
// (one of them read before) and an NBD client is attached to its image. PBS's own prune is refused while cairn holds
// the shared snapshot lock (spec §9.4); when the snapshot goes anyway (forced removal, or
// reading without locks), ranges whose chunks cairn still has decoded read exactly, ranges
// whose chunks are gone fail with EIO, the snapshot leaves the mount, and the mount and the
// server go on serving the other snapshots and shut down cleanly.
#include <fcntl.h>
#include <libnbd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "core/crypto/sha256.h"
#include "core/util/error.h"
#include "core/util/hex.h"
#include "tests/fs/mount_fixture.h"
#include "tests/nbd/libnbd_handle.h"
#include "tests/nbd/nbd_server_process.h"
#include "tests/reliability/pbs_maintenance.h"

namespace cairn::test {
namespace {

constexpr uint64_t kChunk = 4 << 20;
constexpr uint64_t kMiB = 1 << 20;
constexpr char kPruned[] = "2024-05-01T10:00:00Z";
constexpr char kKept[] = "2024-05-02T10:00:00Z";

// The mount (MountFixture) plus a `cairn nbd` server on the same datastore.
class PruneWhileReadingTest : public MountFixture {
 protected:
  void TearDown() override {
    if (nbd_) {
      EXPECT_EQ(nbd_->Stop(), 0) << "cairn nbd did not shut down cleanly on SIGTERM:\n" << nbd_->Log();
    }
    MountFixture::TearDown();
  }

  std::optional<NbdServerProcess> nbd_;
};

bool SameBytes(const Bytes& got, const Bytes& image, uint64_t offset) {
  return offset + got.size() <= image.size() && std::equal(got.begin(), got.end(), image.begin() + offset);
}

TEST_F(PruneWhileReadingTest, CachedRangesReadExactlyGoneChunksFailWithEioAndOthersServeOn) {
  // MixedImage chunk c is zero (c % 3 == 0), text that depends on c only (1) or random from
  // the seed (2). The pruned image's chunks 2, 4 and 5 are its own; its text chunk 1 and the
  // zero chunk are shared with the kept image, so garbage collection keeps them.
  Bytes pruned = MixedImage(6, 0, 21), kept = MixedImage(3, 1000, 22);
  const std::string conf = "boot: order=scsi0\nscsi0: local:100/vm-100-disk-0.raw\n";
  BackupImage("100", kPruned, pruned, {"qemu-server.conf=" + WriteInput("qemu-server.conf", AsBytes(conf))});
  BackupImage("100", kKept, kept);
  std::vector<std::string> own_chunks;
  for (size_t c : {2, 4, 5}) own_chunks.push_back(ToHex(Sha256(ByteView(pruned).subspan(c * kChunk, kChunk))));
  std::sort(own_chunks.begin(), own_chunks.end());

  // No read-ahead: what cairn has decoded is exactly what was read.
  Mount({"--readahead", "0"});
  nbd_.emplace(store_, env_, tmp_.path(), std::vector<std::string>{"--readahead", "0"});
  const std::string image_export = std::string("vm/100/") + kPruned + "/drive-scsi0.img";
  std::filesystem::path snapshot_dir = mnt_ / "vm/100" / kPruned;
  int image_fd = open((snapshot_dir / "drive-scsi0.img").c_str(), O_RDONLY);
  ASSERT_GE(image_fd, 0) << strerror(errno);
  int conf_fd = open((snapshot_dir / "qemu-server.conf").c_str(), O_RDONLY);
  ASSERT_GE(conf_fd, 0) << strerror(errno);
  Handle client(nbd_->Uri(image_export));
  ASSERT_TRUE(client.ok()) << client.error();
  // Both readers decode chunk 2 by reading its first MiB.
  Bytes got;
  ASSERT_EQ(PreadRange(image_fd, 2 * kChunk, kMiB, got), 0);
  ASSERT_TRUE(SameBytes(got, pruned, 2 * kChunk));
  Bytes nbd_got(kMiB);
  ASSERT_EQ(nbd_pread(client.get(), nbd_got.data(), kMiB, 2 * kChunk, 0), 0) << nbd_get_error();
  ASSERT_TRUE(SameBytes(nbd_got, pruned, 2 * kChunk));

  Datastore datastore =
      Datastore::Open(store_, DatastoreOptions{tmp_ / "datastore.cfg", tmp_ / "run"});
  Snapshot snapshot = datastore.ResolveSnapshot(ParseDatastorePath(std::string("vm/100/") + kPruned));
  // PBS's prune needs the exclusive snapshot lock; the open image and the NBD connection
  // hold the shared one.
  try {
    PruneSnapshot(datastore, snapshot, false);
    ADD_FAILURE() << "prune succeeded while the snapshot was being read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBusy) << e.what();
  }
  ASSERT_TRUE(std::filesystem::exists(datastore.PathOf(snapshot)));
  PruneSnapshot(datastore, snapshot, true);
  EXPECT_EQ(CollectGarbage(store_), own_chunks);

  // No open reaches the mount (zero-message open, fs/file_readers.h): the blob, opened but
  // not read before the prune, has no reader, and its file is gone.
  EXPECT_EQ(PreadRange(conf_fd, 0, 4096, got), EIO);
  // The image: chunk 2 is still decoded in cairn's cache (another part of it than was read,
  // so not the kernel's page cache), the zero chunks need no file, text chunk 1 is still
  // stored for the kept snapshot; chunks 4 and 5 are gone. The mount's reader of the image
  // is kept until it has been idle for kIdleFileReaderTimeout; on a machine slow enough to
  // pass that since the first read, the reader is gone too and every range fails with EIO.
  const bool reader_kept = PreadRange(image_fd, kChunk, kMiB, got) == 0;
  for (const auto& [offset, expected_error] : {std::pair{2 * kChunk + kMiB, 0}, {3 * kChunk, 0}, {kChunk, 0},
                                               {4 * kChunk, EIO}, {5 * kChunk, EIO}, {2 * kChunk + 3 * kMiB, 0}}) {
    EXPECT_EQ(PreadRange(image_fd, offset, kMiB, got), reader_kept ? expected_error : EIO)
        << "FUSE read at " << offset;
    if (reader_kept && expected_error == 0) {
      EXPECT_TRUE(SameBytes(got, pruned, offset)) << "FUSE read at " << offset;
    }
    int rc = nbd_pread(client.get(), nbd_got.data(), kMiB, offset, 0);
    if (expected_error == 0) {
      EXPECT_EQ(rc, 0) << "NBD read at " << offset << ": " << nbd_get_error();
      EXPECT_TRUE(SameBytes(nbd_got, pruned, offset)) << "NBD read at " << offset;
    } else {
      EXPECT_EQ(rc, -1) << "NBD read at " << offset;
      EXPECT_EQ(nbd_get_errno(), expected_error) << "NBD read at " << offset << ": " << nbd_get_error();
    }
  }
  std::string missing_chunk = ToHex(Sha256(ByteView(pruned).subspan(5 * kChunk, kChunk)));
  if (reader_kept) {
    EXPECT_NE(MountLog().find(missing_chunk), std::string::npos) << MountLog();
  }
  EXPECT_NE(nbd_->Log().find(missing_chunk), std::string::npos) << nbd_->Log();
  close(image_fd);
  close(conf_fd);

  // The snapshot leaves the mount once the kernel's entry timeout has passed.
  EXPECT_TRUE(WaitFor([&] { return !std::filesystem::exists(snapshot_dir); }, 5));
  std::vector<std::string> listed;
  for (const auto& entry : std::filesystem::directory_iterator(mnt_ / "vm/100")) {
    listed.push_back(entry.path().filename().string());
  }
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<std::string>{kKept, "index.json", "latest"}));

  // Both go on serving the kept snapshot, byte for byte.
  EXPECT_EQ(ReadFileBytes(mnt_ / "vm/100" / kKept / "drive-scsi0.img"), kept);
  Handle kept_client(nbd_->Uri(std::string("vm/100/") + kKept + "/drive-scsi0.img"));
  ASSERT_TRUE(kept_client.ok()) << kept_client.error();
  Bytes kept_got(kept.size());
  ASSERT_EQ(nbd_pread(kept_client.get(), kept_got.data(), kept_got.size(), 0, 0), 0) << nbd_get_error();
  EXPECT_EQ(kept_got, kept);
  // A new connection to the pruned snapshot's export is refused at the handshake.
  Handle late(nbd_->Uri(image_export));
  EXPECT_FALSE(late.ok());
  EXPECT_TRUE(nbd_->Alive()) << nbd_->Log();
}

}  // namespace
}  // namespace cairn::test
