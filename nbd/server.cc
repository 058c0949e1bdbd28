#include "nbd/server.h"

#include <csignal>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/util/log.h"
#include "nbd/connection.h"
#include "nbd/sockets.h"
#include "nbd/tls_context.h"

namespace cairn::nbd {

struct Server::Impl {
  Impl(ExportCatalog& exports, const ServerOptions& options)
      : exports(exports),
        options(options),
        tls_context(MakeTlsContext(options.tls)),
        workers(options.worker_threads),
        control(asio::make_strand(io)),
        signals(io, SIGINT, SIGTERM) {}

  asio::awaitable<void> Accept(Acceptor& acceptor);
  void Stop();

  ExportCatalog& exports;
  const ServerOptions options;
  std::unique_ptr<asio::ssl::context> tls_context;  // shared by every TLS session; null when off
  ConnectionLimits limits;
  asio::io_context io;
  asio::thread_pool workers;
  Strand control;  // serialises accepting, signals and Stop()
  asio::signal_set signals;
  std::vector<std::unique_ptr<Acceptor>> acceptors;
  std::vector<std::filesystem::path> unix_paths;  // removed at shutdown
  bool stopped = false;                            // on `control` only

  std::mutex mu;
  std::map<uint64_t, std::weak_ptr<Connection>> connections;  // guarded by mu
  uint64_t next_id = 1;                                        // guarded by mu
};

asio::awaitable<void> Server::Impl::Accept(Acceptor& acceptor) {
  for (;;) {
    boost::system::error_code ec;
    Strand strand = asio::make_strand(io);
    Socket socket(io);
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or a connection reset before accept: keep serving the others.
      Log(LogLevel::kWarning, "nbd: accept failed: " + ec.message());
      asio::steady_timer pause(control, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    TuneAcceptedSocket(socket);
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(mu);
      for (auto it = connections.begin(); it != connections.end();) {
        it = it->second.expired() ? connections.erase(it) : std::next(it);
      }
      uint64_t id = next_id++;
      // Option haggling grows with the export count: nbdinfo --list and qemu-nbd --list send
      // INFO and two LIST_META_CONTEXTs per export on one connection.
      ConnectionLimits connection_limits = limits;
      connection_limits.max_options = 64 + 4 * exports.Peek()->all().size();
      connection = std::make_shared<Connection>(std::move(socket), strand, exports, workers.get_executor(),
                                                connection_limits, ConnectionTls{options.tls.mode, tls_context.get()},
                                                id);
      connections.emplace(id, connection);
    }
    connection->Start();
  }
}

void Server::Impl::Stop() {
  if (stopped) return;
  stopped = true;
  Log(LogLevel::kInfo, "nbd: shutting down");
  boost::system::error_code ignored;
  signals.cancel(ignored);
  for (auto& acceptor : acceptors) acceptor->close(ignored);
  std::error_code fs_ignored;
  for (const auto& path : unix_paths) std::filesystem::remove(path, fs_ignored);
  std::lock_guard lock(mu);
  for (auto& [id, weak] : connections) {
    if (std::shared_ptr<Connection> c = weak.lock()) c->Shutdown();
  }
}

Server::Server(ExportCatalog& exports, const ServerOptions& options)
    : impl_(std::make_unique<Impl>(exports, options)) {}

Server::~Server() {
  if (impl_ == nullptr) return;
  std::error_code ignored;
  for (const auto& path : impl_->unix_paths) std::filesystem::remove(path, ignored);
  impl_->io.stop();
  impl_->workers.join();
}

void Server::Listen(const ListenAddress& address) {
  if (address.kind == ListenAddress::Kind::kUnix) {
    impl_->acceptors.push_back(std::make_unique<Acceptor>(ListenUnix(impl_->io, address.path)));
    impl_->unix_paths.push_back(address.path);
  } else {
    impl_->acceptors.push_back(std::make_unique<Acceptor>(ListenTcp(impl_->io, address.host, address.port,
                                                                      impl_->options.tls.mode == TlsMode::kRequire)));
  }
}

void Server::Adopt(int fd) { impl_->acceptors.push_back(std::make_unique<Acceptor>(AdoptListener(impl_->io, fd))); }

void Server::Run() {
  Impl& s = *impl_;
  s.signals.async_wait(asio::bind_executor(s.control, [&s](const boost::system::error_code& ec, int) {
    if (!ec) s.Stop();
  }));
  for (auto& acceptor : s.acceptors) asio::co_spawn(s.control, s.Accept(*acceptor), asio::detached);
  size_t threads = s.options.io_threads;
  if (threads == 0) threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i) pool.emplace_back([&s] { s.io.run(); });
  s.io.run();
  for (std::thread& t : pool) t.join();
  s.workers.join();
}

}  // namespace cairn::nbd
