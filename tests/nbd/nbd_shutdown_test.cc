// Server shutdown on SIGTERM/SIGINT (spec §12 item 13): no new connections, requests in flight
// are answered, requests sent afterwards get ESHUTDOWN, and the server exits 0.
#include <libnbd.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "tests/nbd/libnbd_handle.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

constexpr uint64_t kChunk = 4 << 20;

class NbdShutdown : public NbdTest {
 protected:
  // Sends the server `signal` and waits until it removed its socket (it stopped accepting).
  void SignalAndWaitForSocketRemoval(int signal) {
    ASSERT_EQ(kill(ServerPid(), signal), 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    struct stat st {};
    while (stat(socket_.c_str(), &st) == 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the socket was not removed";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  pid_t ServerPid() const { return pid_; }
};

// Waits for command `cookie`; returns 0 on success, else the errno the server sent.
int Await(nbd_handle* h, int64_t cookie) {
  for (;;) {
    int r = nbd_aio_command_completed(h, static_cast<uint64_t>(cookie));
    if (r == 1) return 0;
    if (r == -1) return nbd_get_errno();
    if (nbd_poll(h, -1) == -1) return -1;
  }
}

TEST_F(NbdShutdown, InFlightRequestsAreAnsweredAndLaterOnesGetEshutdown) {
  for (int signal : {SIGTERM, SIGINT}) {
    StartServer();
    Handle h(Uri(kExportA));
    ASSERT_TRUE(h.ok()) << h.error();
    // Eight whole-chunk reads in flight, then the signal.
    std::vector<Bytes> buffers(8, Bytes(kChunk));
    std::vector<int64_t> cookies;
    for (size_t i = 0; i < buffers.size(); ++i) {
      cookies.push_back(
          nbd_aio_pread(h.get(), buffers[i].data(), kChunk, i * kChunk, NBD_NULL_COMPLETION, 0));
      ASSERT_GT(cookies.back(), 0) << nbd_get_error();
    }
    std::vector<int> errors(cookies.size(), -1);
    errors[0] = Await(h.get(), cookies[0]);  // the server is reading our requests
    ASSERT_EQ(errors[0], 0) << nbd_get_error();
    SignalAndWaitForSocketRemoval(signal);
    // A request sent now (within the shutdown grace period) is refused with ESHUTDOWN. The
    // socket goes just before the connections are told: give them a moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Bytes late(4096);
    int64_t late_cookie = nbd_aio_pread(h.get(), late.data(), late.size(), 0, NBD_NULL_COMPLETION, 0);
    ASSERT_GT(late_cookie, 0) << nbd_get_error();
    // Each read is answered: with its data, or with ESHUTDOWN if the server had not read it
    // before the signal; none is left without a reply.
    size_t answered_with_data = 0;
    for (size_t i = 0; i < cookies.size(); ++i) {
      int error = i == 0 ? errors[0] : Await(h.get(), cookies[i]);
      if (error == 0) {
        ++answered_with_data;
        EXPECT_TRUE(std::equal(buffers[i].begin(), buffers[i].end(), data_.image_a.begin() + i * kChunk))
            << i;
      } else {
        EXPECT_EQ(error, ESHUTDOWN) << "request " << i << ": " << nbd_get_error();
      }
    }
    EXPECT_GE(answered_with_data, 1u);
    EXPECT_EQ(Await(h.get(), late_cookie), ESHUTDOWN) << nbd_get_error();
    // New connections are refused: the socket is gone.
    EXPECT_NE(Sh("nbdinfo --size '" + Uri(kExportA) + "'").exit_code, 0);
    EXPECT_EQ(WaitServerExit(), 0);
  }
}

}  // namespace
}  // namespace cairn::test
