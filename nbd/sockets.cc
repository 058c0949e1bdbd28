#include "nbd/sockets.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util/error.h"
#include "core/util/log.h"

namespace cairn::nbd {
namespace {

namespace asio = boost::asio;
using Generic = asio::generic::stream_protocol;

// True when something accepts connections on the unix socket at `path`.
bool SocketIsLive(asio::io_context& io, const std::filesystem::path& path) {
  asio::local::stream_protocol::socket probe(io);
  boost::system::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path.string()), ec);
  return !ec;
}

}  // namespace

Acceptor ListenUnix(asio::io_context& io, const std::filesystem::path& path) {
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw Error(ErrorKind::kInvalidInput, path.string() + " exists and is not a socket");
    }
    if (SocketIsLive(io, path)) throw Error(ErrorKind::kBusy, path.string() + ": another server listens there");
  }
  std::filesystem::path temp = path;
  temp += ".tmp-" + std::to_string(getpid());
  if (temp.string().size() >= sizeof(sockaddr_un::sun_path)) {
    throw Error(ErrorKind::kInvalidInput, "socket path too long: " + path.string());
  }
  ::unlink(temp.c_str());
  Acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(Generic(AF_UNIX, 0), ec);
  if (!ec) acceptor.bind(Generic::endpoint(asio::local::stream_protocol::endpoint(temp.string())), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ::unlink(temp.c_str());
    throw Error(ErrorKind::kIo, "cannot listen on " + path.string() + ": " + ec.message());
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw SystemError("cannot create socket " + path.string(), err);
  }
  return acceptor;
}

Acceptor AdoptListener(asio::io_context& io, int fd) {
  int type = 0, listening = 0;
  socklen_t length = sizeof(int);
  bool stream = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
  length = sizeof(int);
  if (!stream || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) {
    throw Error(ErrorKind::kInvalidInput, "passed descriptor " + std::to_string(fd) + " is not a listening stream socket");
  }
  sockaddr_storage address{};
  length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw SystemError("getsockname on passed descriptor " + std::to_string(fd), errno);
  }
  int family = address.ss_family;
  Acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.assign(Generic(family, family == AF_UNIX ? 0 : IPPROTO_TCP), fd, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot use passed socket " + std::to_string(fd) + ": " + ec.message());
  return acceptor;
}

Acceptor ListenTcp(asio::io_context& io, const std::string& host, uint16_t port, bool tls_required) {
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, std::to_string(port), asio::ip::tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) throw Error(ErrorKind::kInvalidInput, "cannot resolve " + host + ": " + ec.message());
  asio::ip::tcp::endpoint endpoint = results.begin()->endpoint();
  Acceptor acceptor(io);
  acceptor.open(Generic(endpoint.protocol().family(), IPPROTO_TCP), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(Generic::endpoint(endpoint), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error(ec == asio::error::address_in_use ? ErrorKind::kBusy : ErrorKind::kIo,
                "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  if (!endpoint.address().is_loopback() && !tls_required) {
    Log(LogLevel::kWarning, "listening on " + endpoint.address().to_string() +
                                " without requiring TLS (--tls require): anyone who can reach this address can read these backups");
  }
  return acceptor;
}

void TuneAcceptedSocket(Generic::socket& socket) {
  int family = socket.local_endpoint().protocol().family();
  if (family != AF_INET && family != AF_INET6) return;
  int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace cairn::nbd
