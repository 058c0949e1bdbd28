// Regression test for what nbd_transmission_fuzzer found: a worker thread dropped the last
// reference to a connection after releasing its work guard, so the connection could be
// destroyed on the worker after its io_context was gone. The connection must die on its
// strand: once io_context::run() returns, nothing holds it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/fuzz/nbd_session.h"

namespace cairn::test {
namespace {

namespace asio = boost::asio;

TEST(NbdConnectionLifetime, ConnectionIsGoneWhenItsIoContextStops) {
  // Outlives the io_context, unlike nbd::Server's; many rounds, because the old failure was a race
  // (it showed within a few dozen).
  asio::thread_pool workers(2);
  for (int round = 0; round < 500; ++round) {
    std::weak_ptr<nbd::Connection> weak;
    {
      asio::io_context io;
      int fds[2];
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
      nbd::Socket server_end(io, asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
      auto connection = std::make_shared<nbd::Connection>(std::move(server_end), asio::make_strand(io),
                                                           fuzz::Catalog(), workers.get_executor(),
                                                           nbd::ConnectionLimits{}, nbd::ConnectionTls{}, 1);
      weak = connection;
      connection->Start();
      connection.reset();
      // GO, then reads whose replies (8 x 4 KiB) fit the socket buffer unread; then EOF.
      Bytes session = fuzz::HandshakeThroughGo(fuzz::kReadOnlyExport, true);
      for (uint64_t i = 0; i < 8; ++i) {
        nbd::AppendBE<uint32_t>(session, nbd::kRequestMagic);
        nbd::AppendBE<uint16_t>(session, 0);
        nbd::AppendBE<uint16_t>(session, nbd::kCmdRead);
        nbd::AppendBE<uint64_t>(session, i);
        nbd::AppendBE<uint64_t>(session, (16 + i) * fuzz::MemoryImage::kBlock);
        nbd::AppendBE<uint32_t>(session, static_cast<uint32_t>(fuzz::MemoryImage::kBlock));
      }
      ASSERT_EQ(write(fds[1], session.data(), session.size()), static_cast<ssize_t>(session.size()));
      ASSERT_EQ(shutdown(fds[1], SHUT_WR), 0);
      io.run();
      EXPECT_TRUE(weak.expired()) << "round " << round << ": a worker still holds the connection";
      close(fds[1]);
    }
  }
  workers.join();
}

}  // namespace
}  // namespace cairn::test
