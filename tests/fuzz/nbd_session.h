// The NBD fuzz targets' harness: one real server connection (nbd/connection.h, the code
// `cairn nbd` runs) on one end of an AF_UNIX socketpair, the fuzz bytes written to the other
// end as the client, then the client's write side shut down while everything the server
// sends is drained. A session ends when the server has closed and all its work is done;
// a session that never ends is a hang, reported by libFuzzer's -timeout.
#pragma once

// Boost 1.74's Asio needs <utility> first in C++20.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "core/util/bytes.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "nbd/connection.h"
#include "nbd/exports.h"
#include "nbd/protocol.h"

namespace cairn::fuzz {

namespace asio = boost::asio;

// A small image in memory: zero blocks (reported as zero extents, read as OFFSET_HOLE), data
// blocks, and one block whose reads fail like a corrupt chunk, so that every reply shape of
// READ is reachable. Writable, for the export that takes WRITE, WRITE_ZEROES and TRIM.
class MemoryImage : public WritableBlockSource {
 public:
  static constexpr uint64_t kBlock = 4096;
  static constexpr uint64_t kSize = 64 * kBlock;
  static constexpr uint64_t kBadBlock = 40;  // reads touching it throw Error kCorrupt

  MemoryImage() : bytes_(kSize, 0) {
    for (uint64_t i = 16 * kBlock; i < kSize; ++i) bytes_[i] = static_cast<uint8_t>(i * 31 + (i >> 12));
    std::fill_n(bytes_.begin() + 48 * kBlock, 8 * kBlock, 0);  // a zero run in the middle
  }

  uint64_t size() const override { return kSize; }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    std::lock_guard lock(mu_);
    if (offset >= kSize) return 0;
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), kSize - offset));
    if (n > 0 && offset / kBlock <= kBadBlock && (offset + n - 1) / kBlock >= kBadBlock) {
      throw Error(ErrorKind::kCorrupt, "fuzz: the bad block");
    }
    std::copy_n(bytes_.begin() + static_cast<ptrdiff_t>(offset), n, out.begin());
    return n;
  }
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override {
    std::lock_guard lock(mu_);
    std::vector<Extent> extents;
    const uint64_t end = std::min(kSize, offset + std::min(length, kSize));
    for (uint64_t at = offset; at < end;) {
      const uint64_t next = std::min(end, (at / kBlock + 1) * kBlock);
      const bool zero = std::all_of(bytes_.begin() + static_cast<ptrdiff_t>(at / kBlock * kBlock),
                                    bytes_.begin() + static_cast<ptrdiff_t>(at / kBlock * kBlock + kBlock),
                                    [](uint8_t b) { return b == 0; });
      if (!extents.empty() && extents.back().zero == zero) extents.back().length += next - at;
      else extents.push_back({at, next - at, zero});
      at = next;
    }
    return extents;
  }
  void Write(uint64_t offset, std::span<const uint8_t> data, bool) override {
    std::lock_guard lock(mu_);
    Check(offset, data.size());
    std::copy(data.begin(), data.end(), bytes_.begin() + static_cast<ptrdiff_t>(offset));
  }
  void WriteZeroes(uint64_t offset, uint64_t length, bool, bool) override { Zero(offset, length); }
  void Trim(uint64_t offset, uint64_t length, bool) override { Zero(offset, length); }
  void Flush() override {}

 private:
  // The contract: writes lie within size(). The connection must have checked.
  static void Check(uint64_t offset, uint64_t length) {
    if (offset > kSize || length > kSize - offset) throw std::logic_error("fuzz: write beyond the image");
  }
  void Zero(uint64_t offset, uint64_t length) {
    std::lock_guard lock(mu_);
    Check(offset, length);
    std::fill_n(bytes_.begin() + static_cast<ptrdiff_t>(offset), length, 0);
  }

  mutable std::mutex mu_;
  Bytes bytes_;
};

inline constexpr char kReadOnlyExport[] = "ro";  // also the default export
inline constexpr char kWritableExport[] = "rw";

// The exports of every session: a read-only and a writable view of a fresh MemoryImage per
// connection (so that sessions do not depend on each other).
inline nbd::ExportCatalog& Catalog() {
  static nbd::ExportCatalog catalog(
      [] {
        std::vector<nbd::Export> exports;
        for (const char* name : {kReadOnlyExport, kWritableExport}) {
          nbd::Export e;
          e.name = name;
          e.description = std::string("fuzz export ") + name;
          e.size = MemoryImage::kSize;
          e.preferred_block = MemoryImage::kBlock;
          e.target = name;
          e.writable = e.name == kWritableExport;
          e.open = [] { return std::make_unique<MemoryImage>(); };
          exports.push_back(std::move(e));
        }
        return exports;
      },
      std::string(kReadOnlyExport), nbd::ExportCatalog::Clock::duration::max());
  return catalog;
}

// A server context without a certificate: STARTTLS is ACKed and the TLS handshake that
// follows fails, which is the path hostile bytes after STARTTLS take anyway.
inline asio::ssl::context& TlsContext() {
  static asio::ssl::context context(asio::ssl::context::tls_server);
  return context;
}

// Plays `client_bytes` as the client of one connection in TLS mode `mode`.
inline void PlaySession(ByteView client_bytes, nbd::TlsMode mode) {
  static const bool quiet = [] {
    SetLogLevel(LogLevel::kError);
    return true;
  }();
  (void)quiet;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair failed");
  asio::io_context io;
  // Declared after `io`: joined before it is destroyed, as nbd::Server does.
  asio::thread_pool workers(2);
  nbd::Socket server_end(io, asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
  asio::local::stream_protocol::socket client(io, asio::local::stream_protocol(), fds[1]);
  nbd::ConnectionLimits limits;
  limits.max_options = 64;
  const nbd::ConnectionTls tls{mode, mode == nbd::TlsMode::kOff ? nullptr : &TlsContext()};
  std::make_shared<nbd::Connection>(std::move(server_end), asio::make_strand(io), Catalog(), workers.get_executor(),
                                    limits, tls, 1)
      ->Start();

  asio::co_spawn(
      io,
      [&client, client_bytes]() -> asio::awaitable<void> {
        boost::system::error_code ec;
        co_await asio::async_write(client, asio::buffer(client_bytes.data(), client_bytes.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
        client.shutdown(asio::socket_base::shutdown_send, ec);
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&client]() -> asio::awaitable<void> {
        uint8_t sink[65536];
        boost::system::error_code ec;
        while (!ec) co_await client.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      },
      asio::detached);
  io.run();
  workers.join();
}

// The bytes of a fixed newstyle handshake up to and including a GO for `name` (structured
// replies and base:allocation first when `structured`), so that what follows is read as
// transmission-phase requests.
inline Bytes HandshakeThroughGo(const std::string& name, bool structured) {
  Bytes out;
  nbd::AppendBE<uint32_t>(out, nbd::kClientFlagFixedNewstyle | nbd::kClientFlagNoZeroes);
  auto option = [&out](uint32_t code, const Bytes& data) {
    nbd::AppendBE<uint64_t>(out, nbd::kIHaveOpt);
    nbd::AppendBE<uint32_t>(out, code);
    nbd::AppendBE<uint32_t>(out, static_cast<uint32_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
  };
  if (structured) {
    option(nbd::kOptStructuredReply, {});
    Bytes meta;
    nbd::AppendBE<uint32_t>(meta, static_cast<uint32_t>(name.size()));
    nbd::AppendString(meta, name);
    nbd::AppendBE<uint32_t>(meta, 1);
    nbd::AppendBE<uint32_t>(meta, static_cast<uint32_t>(std::string_view(nbd::kBaseAllocation).size()));
    nbd::AppendString(meta, nbd::kBaseAllocation);
    option(nbd::kOptSetMetaContext, meta);
  }
  Bytes go;
  nbd::AppendBE<uint32_t>(go, static_cast<uint32_t>(name.size()));
  nbd::AppendString(go, name);
  nbd::AppendBE<uint16_t>(go, 0);
  option(nbd::kOptGo, go);
  return out;
}

}  // namespace cairn::fuzz
