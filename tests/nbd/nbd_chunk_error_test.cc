// A corrupt or missing chunk fails only the requests that touch it (spec §12 item 14): EIO for
// that range, ERROR_OFFSET after the good data with structured replies, the connection keeps
// serving, and the server log names the archive, the offset and the chunk digest.
#include <libnbd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "core/crypto/sha256.h"
#include "tests/cli/cli_fixture.h"
#include "tests/nbd/libnbd_handle.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

constexpr uint64_t kChunk = 4 << 20;
constexpr char kExport[] = "vm/200/2024-06-01T00:00:00Z/drive-scsi0.img";

// A datastore of its own (the shared one must stay intact): one image of six chunks,
// zero / text / random / zero / text / random; chunk `bad` is damaged by the test.
class NbdChunkErrors : public NbdTest {
 protected:
  void SetUp() override {
    NbdTest::SetUp();
    image_ = MixedImage(6, 0, 11);
    WriteFileBytes(store_.dir / "in.img", image_);
    store_.Backup("200", "2024-06-01T00:00:00Z", (store_.dir / "in.img").string());
  }

  std::filesystem::path ChunkFileOf(size_t chunk) const {
    return ChunkFile(store_.store, Sha256(ByteView(image_).subspan(chunk * kChunk, kChunk)));
  }
  std::string Digest(size_t chunk) const { return ChunkFileOf(chunk).filename().string(); }

  // Flips bytes in the middle of the chunk file: the blob's CRC and digest checks fail.
  void Corrupt(size_t chunk) {
    std::fstream f(ChunkFileOf(chunk), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open()) << ChunkFileOf(chunk);
    f.seekp(100);
    f.write("garbage!", 8);
  }

  Bytes Slice(uint64_t offset, uint64_t n) const {
    return Bytes(image_.begin() + static_cast<ptrdiff_t>(offset),
                 image_.begin() + static_cast<ptrdiff_t>(offset + n));
  }
  std::string ServerLog() const { return std::string(AsChars(ReadFileBytes(tmp_ / "server.log"))); }

  ScratchStore store_;
  Bytes image_;
};

struct ChunkSeen {
  uint64_t offset;
  size_t count;
  unsigned status;
  int error;
};

int RecordChunk(void* user, const void*, size_t count, uint64_t offset, unsigned status, int* error) {
  static_cast<std::vector<ChunkSeen>*>(user)->push_back({offset, count, status, *error});
  return 0;
}

TEST_F(NbdChunkErrors, CorruptChunkFailsOnlyItsRangeWithStructuredReplies) {
  Corrupt(2);
  StartServerOn(store_.store, store_.env);
  Handle h(Uri(kExport));
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes buf(2 * kChunk);
  // Chunks 1 and 2: the data of chunk 1 arrives, then ERROR_OFFSET at the start of chunk 2.
  std::vector<ChunkSeen> seen;
  EXPECT_EQ(nbd_pread_structured(
                h.get(), buf.data(), buf.size(), kChunk,
                nbd_chunk_callback{.callback = RecordChunk, .user_data = &seen, .free = nullptr}, 0),
            -1);
  EXPECT_EQ(nbd_get_errno(), EIO) << nbd_get_error();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].status, unsigned{LIBNBD_READ_DATA});
  EXPECT_EQ(seen[0].offset, kChunk);
  EXPECT_EQ(seen[0].count, kChunk);
  EXPECT_EQ(seen[1].status, unsigned{LIBNBD_READ_ERROR});
  EXPECT_EQ(seen[1].offset, 2 * kChunk);
  EXPECT_EQ(seen[1].error, EIO);
  EXPECT_TRUE(Bytes(buf.begin(), buf.begin() + kChunk) == Slice(kChunk, kChunk));
  // The connection keeps serving: every range not touching chunk 2 reads byte-exact.
  for (uint64_t offset : {uint64_t{0}, 3 * kChunk, 4 * kChunk}) {
    ASSERT_EQ(nbd_pread(h.get(), buf.data(), buf.size(), offset, 0), 0) << offset << ": " << nbd_get_error();
    EXPECT_TRUE(buf == Slice(offset, buf.size())) << offset;
  }
  EXPECT_EQ(nbd_pread(h.get(), buf.data(), 4096, 2 * kChunk + 12345, 0), -1);
  EXPECT_EQ(nbd_get_errno(), EIO);
  // One log line per failed range: export, datastore, snapshot, archive, offset and digest.
  std::string log = ServerLog();
  std::string failure = kExport;
  failure += ": read of 4194304 bytes at offset 8388608 failed: ";
  failure += store_.store;
  failure += "/vm/200/2024-06-01T00:00:00Z/drive-scsi0.img";
  EXPECT_NE(log.find(failure), std::string::npos) << log;
  EXPECT_NE(log.find("offset 8388608, chunk 2 " + Digest(2)), std::string::npos) << log;
}

TEST_F(NbdChunkErrors, CorruptChunkWithSimpleRepliesAndQemuIo) {
  Corrupt(5);
  StartServerOn(store_.store, store_.env);
  {
    Handle h(Uri(kExport), true, /*structured=*/false);
    ASSERT_TRUE(h.ok()) << h.error();
    Bytes buf(kChunk);
    EXPECT_EQ(nbd_pread(h.get(), buf.data(), buf.size(), 5 * kChunk, 0), -1);
    EXPECT_EQ(nbd_get_errno(), EIO);
    ASSERT_EQ(nbd_pread(h.get(), buf.data(), buf.size(), 4 * kChunk, 0), 0) << nbd_get_error();
    EXPECT_TRUE(buf == Slice(4 * kChunk, kChunk));
  }
  const std::string io = "qemu-io -r -f raw '" + Uri(kExport) + "'";
  ShellResult r = Sh(io + " -c 'read 20M 4M'");
  EXPECT_NE(r.output.find("Input/output error"), std::string::npos) << r.output;
  r = Sh(io + " -c 'read -P 0 0 4M' -c 'read -P 0 12M 4M'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Pattern verification failed"), std::string::npos) << r.output;
}

TEST_F(NbdChunkErrors, MissingChunkFailsOnlyItsRange) {
  std::filesystem::remove(ChunkFileOf(4));
  StartServerOn(store_.store, store_.env);
  Handle h(Uri(kExport));
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes buf(kChunk);
  EXPECT_EQ(nbd_pread(h.get(), buf.data(), buf.size(), 4 * kChunk, 0), -1);
  EXPECT_EQ(nbd_get_errno(), EIO);
  ASSERT_EQ(nbd_pread(h.get(), buf.data(), buf.size(), 5 * kChunk, 0), 0) << nbd_get_error();
  EXPECT_TRUE(buf == Slice(5 * kChunk, kChunk));
  std::string log = ServerLog();
  EXPECT_NE(log.find("chunk 4 " + Digest(4)), std::string::npos) << log;
  EXPECT_NE(log.find("is missing"), std::string::npos) << log;
}

}  // namespace
}  // namespace cairn::test
