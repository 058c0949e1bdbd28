// Listening sockets (nbdkit: server/sockets.c). Both kinds are returned as generic stream
// acceptors, so that connections over unix and TCP sockets are the same type.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <filesystem>

#include "nbd/listen_address.h"

namespace cairn::nbd {

using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol>;

// Listens on a unix socket at `path`, made visible only once it is listening: bound under a
// temporary name in the same directory, then renamed over `path`. A stale socket at `path`
// is replaced; a socket something still listens on is Error kBusy; another kind of file
// kInvalidInput.
Acceptor ListenUnix(boost::asio::io_context& io, const std::filesystem::path& path);

// Listens on the first address HOST resolves to. Warns when it is not a loopback address and
// clients may connect without TLS (`tls_required` false).
Acceptor ListenTcp(boost::asio::io_context& io, const std::string& host, uint16_t port, bool tls_required);

// Takes over a socket that already listens (systemd socket activation, LISTEN_FDS): unix or
// TCP, bound by someone else. Throws Error(kInvalidInput) when `fd` is not a listening
// stream socket. The socket file of an adopted unix socket belongs to whoever bound it.
Acceptor AdoptListener(boost::asio::io_context& io, int fd);

// TCP_NODELAY on TCP connections: replies are whole messages, delaying them only adds
// latency (spec §0). A no-op for unix sockets.
void TuneAcceptedSocket(boost::asio::generic::stream_protocol::socket& socket);

}  // namespace cairn::nbd
