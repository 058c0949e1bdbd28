// libnbd's C API as the client (shared/spec/nbd-testing.md B4, D1, F1, F3, F4, I1):
// random reads checked byte for byte, the error table, pipelining, many connections.
#include <libnbd.h>

#include <atomic>
#include <cerrno>
#include <random>
#include <thread>

#include "tests/nbd/libnbd_handle.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

using NbdLibnbd = NbdTest;

Bytes Slice(const Bytes& image, uint64_t offset, size_t n) {
  return Bytes(image.begin() + static_cast<ptrdiff_t>(offset), image.begin() + static_cast<ptrdiff_t>(offset + n));
}

TEST_F(NbdLibnbd, RandomReadsMatchTheSource) {
  StartServer();
  const Bytes& image = data_.image_a;
  for (bool structured : {true, false}) {
    Handle h(Uri(kExportA), true, structured);
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_EQ(nbd_get_structured_replies_negotiated(h.get()), structured ? 1 : 0);
    EXPECT_EQ(static_cast<uint64_t>(nbd_get_size(h.get())), image.size());
    std::mt19937_64 rng(7);
    const size_t sizes[] = {1, 511, 512, 4096, 65536, 1 << 20};
    int bad = 0;
    for (int i = 0; i < 1000; ++i) {
      size_t n = sizes[rng() % std::size(sizes)];
      uint64_t offset = rng() % (image.size() - n + 1);
      Bytes got(n);
      ASSERT_EQ(nbd_pread(h.get(), got.data(), n, offset, 0), 0) << nbd_get_error();
      bad += got != Slice(image, offset, n);
    }
    EXPECT_EQ(bad, 0) << "structured=" << structured;
  }
}

// The error table of nbd-testing.md D1; nbdkit 1.32 gives the same answers.
TEST_F(NbdLibnbd, ErrorTableMatchesTheReferenceServer) {
  StartServer();
  Handle h(Uri(kExportA), false);
  ASSERT_TRUE(h.ok()) << h.error();
  const uint64_t size = data_.image_a.size();
  Bytes buffer(33 << 20);
  auto errno_of = [&](int rc) { return rc == 0 ? 0 : nbd_get_errno(); };
  EXPECT_EQ(errno_of(nbd_pread(h.get(), buffer.data(), 512, size, 0)), EINVAL) << "read past end";
  EXPECT_EQ(errno_of(nbd_pread(h.get(), buffer.data(), 1024, size - 512, 0)), EINVAL) << "read straddling end";
  EXPECT_EQ(errno_of(nbd_pread(h.get(), buffer.data(), 0, 0, 0)), EINVAL) << "read len 0";
  EXPECT_EQ(errno_of(nbd_pread(h.get(), buffer.data(), 1, 3, 0)), 0) << "read 1 byte unaligned";
  EXPECT_EQ(errno_of(nbd_pread(h.get(), buffer.data(), 32 << 20, 0, 0)), 0) << "read 32 MiB";
  EXPECT_TRUE(Bytes(buffer.begin(), buffer.begin() + (32 << 20)) == Slice(data_.image_a, 0, 32 << 20));
  EXPECT_EQ(errno_of(nbd_pread(h.get(), buffer.data(), (32 << 20) + 4096, 0, 0)), EOVERFLOW) << "read > 32 MiB";
  EXPECT_EQ(errno_of(nbd_pwrite(h.get(), buffer.data(), 512, 0, 0)), EPERM) << "write on RO";
  EXPECT_EQ(errno_of(nbd_trim(h.get(), 512, 0, 0)), EPERM) << "trim on RO";
  EXPECT_EQ(errno_of(nbd_zero(h.get(), 512, 0, 0)), EPERM) << "zero on RO";
  EXPECT_EQ(errno_of(nbd_flush(h.get(), 0)), 0) << "flush";
  EXPECT_EQ(errno_of(nbd_cache(h.get(), 4096, 0, 0)), 0) << "cache";
  EXPECT_EQ(errno_of(nbd_pread(h.get(), buffer.data(), 512, 0, 0x40)), EINVAL) << "read unknown flag 0x40";
  EXPECT_TRUE(nbd_aio_is_ready(h.get()) || nbd_aio_is_processing(h.get())) << "still connected";
}

struct ExtentWalk {
  uint64_t pos = 0;
  uint64_t asked = 0;
  int calls = 0;
  bool one_extent = true;
};

int OnExtents(void* user, const char* context, uint64_t offset, uint32_t* entries, size_t count, int*) {
  auto* walk = static_cast<ExtentWalk*>(user);
  if (std::string(context) != LIBNBD_CONTEXT_BASE_ALLOCATION || offset != walk->pos) return -1;
  ++walk->calls;
  walk->one_extent &= count == 2 && entries[0] <= walk->asked;
  for (size_t i = 0; i < count; i += 2) walk->pos += entries[i];
  return 0;
}

TEST_F(NbdLibnbd, BlockStatusWithRequestOneWalksEveryExtent) {
  StartServer();
  Handle h(Uri(kExportA));
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(nbd_can_meta_context(h.get(), LIBNBD_CONTEXT_BASE_ALLOCATION), 1);
  ExtentWalk walk;
  const uint64_t size = data_.image_a.size();
  while (walk.pos < size) {
    walk.asked = size - walk.pos;
    ASSERT_EQ(nbd_block_status(h.get(), walk.asked, walk.pos, nbd_extent_callback{OnExtents, &walk, nullptr},
                               LIBNBD_CMD_FLAG_REQ_ONE),
              0)
        << nbd_get_error();
  }
  EXPECT_EQ(walk.pos, size);
  EXPECT_TRUE(walk.one_extent);
  EXPECT_EQ(walk.calls, 6);  // zero, data x2, zero, data x2, zero, data x2 + tail: merged runs
}

struct Pending {
  Bytes buffer;
  uint64_t offset;
};

TEST_F(NbdLibnbd, PipelinedReadsCompleteWithTheRightData) {
  StartServer();
  Handle h(Uri(kExportA));
  ASSERT_TRUE(h.ok()) << h.error();
  std::mt19937_64 rng(3);
  std::vector<Pending> reads(128);
  std::vector<int64_t> cookies;
  for (Pending& p : reads) {
    size_t n = (rng() % 2) ? (1 << 20) : 4096;  // big and small interleaved: replies overtake
    p.offset = rng() % (data_.image_a.size() - n);
    p.buffer.resize(n);
    int64_t cookie = nbd_aio_pread(h.get(), p.buffer.data(), n, p.offset, NBD_NULL_COMPLETION, 0);
    ASSERT_GT(cookie, 0) << nbd_get_error();
    cookies.push_back(cookie);
  }
  while (nbd_aio_in_flight(h.get()) > 0) ASSERT_GE(nbd_poll(h.get(), -1), 0) << nbd_get_error();
  for (size_t i = 0; i < reads.size(); ++i) {
    EXPECT_EQ(nbd_aio_command_completed(h.get(), static_cast<uint64_t>(cookies[i])), 1) << nbd_get_error();
    EXPECT_TRUE(reads[i].buffer == Slice(data_.image_a, reads[i].offset, reads[i].buffer.size())) << i;
  }
}

TEST_F(NbdLibnbd, ThirtyTwoConcurrentClients) {
  StartServer();
  std::atomic<int> failures{0}, mismatches{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 32; ++t) {
    clients.emplace_back([&, t] {
      Handle h(Uri(t % 2 ? kExportA : kLatest));
      if (!h.ok() || nbd_can_multi_conn(h.get()) != 1) {
        ++failures;
        return;
      }
      const Bytes& image = t % 2 ? data_.image_a : data_.image_b;
      std::mt19937_64 rng(static_cast<uint64_t>(t));
      for (int i = 0; i < 40; ++i) {
        size_t n = 1 + rng() % (256 << 10);
        uint64_t offset = rng() % (image.size() - n + 1);
        Bytes got(n);
        if (nbd_pread(h.get(), got.data(), n, offset, 0) != 0) ++failures;
        else if (got != Slice(image, offset, n)) ++mismatches;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(NbdLibnbd, SigtermWithClientsConnectedExitsCleanly) {
  StartServer();
  Handle idle(Uri(kExportA));
  ASSERT_TRUE(idle.ok()) << idle.error();
  Handle busy(Uri(kLatest));
  ASSERT_TRUE(busy.ok()) << busy.error();
  Bytes buffer(1 << 20);
  for (int i = 0; i < 8; ++i) {
    ASSERT_GT(nbd_aio_pread(busy.get(), buffer.data(), buffer.size(), 0, NBD_NULL_COMPLETION, 0), 0);
  }
  EXPECT_EQ(StopServer(), 0);
  EXPECT_FALSE(std::filesystem::exists(socket_)) << "the socket file was not removed";
}

}  // namespace
}  // namespace cairn::test
