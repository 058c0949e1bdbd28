// The byte stream of one connection: the accepted socket, and after STARTTLS a TLS session
// on top of it. The upgrade happens in place, in the middle of the handshake (spec §9.2), so
// the handshake and transmission code read and write through this one type, which forwards
// to whichever layer is current. It is an Asio AsyncReadStream and AsyncWriteStream.
#pragma once

// Boost 1.74's Asio needs <utility> first with GCC 12 in C++20.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstddef>
#include <optional>

namespace cairn::nbd {

class ConnectionStream {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  using executor_type = Socket::executor_type;

  explicit ConnectionStream(Socket socket) : socket_(std::move(socket)) {}

  executor_type get_executor() { return socket_.get_executor(); }
  // The socket under any TLS session: for shutdown(), which ends both layers at once.
  Socket& socket() { return socket_; }
  bool tls() const { return tls_.has_value(); }

  // From here on every byte goes through TLS with `context` (which must outlive the stream).
  // REQUIRES: !tls(), and no clear-text byte meant for the session was read ahead (reads here
  // take exactly what they ask for, so there is none when the client waited for the ACK).
  void StartTls(boost::asio::ssl::context& context) { tls_.emplace(socket_, context); }

  // The server side of the TLS handshake. REQUIRES: StartTls was called.
  template <typename Token>
  auto async_handshake(Token&& token) {
    return tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Token>(token));
  }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls_) tls_->async_read_some(b, std::move(handler));
          else socket_.async_read_some(b, std::move(handler));
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls_) tls_->async_write_some(b, std::move(handler));
          else socket_.async_write_some(b, std::move(handler));
        },
        token, buffers);
  }

 private:
  Socket socket_;
  std::optional<boost::asio::ssl::stream<Socket&>> tls_;
};

}  // namespace cairn::nbd
