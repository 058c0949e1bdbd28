// The NBD server (nbdkit: server/sockets.c + the main loop): listeners, the Asio
// io_context and its threads, the worker pool for backend calls, and ordered shutdown.
// Asio stays out of this header so that the CLI does not compile it.
#pragma once

#include <memory>
#include <string>

#include "nbd/exports.h"
#include "nbd/listen_address.h"
#include "nbd/tls.h"

namespace cairn::nbd {

struct ServerOptions {
  size_t io_threads = 0;       // threads running the io_context; 0: one per core, at most 4
  size_t worker_threads = 16;  // threads for backend calls, which may block on chunk fetches
  TlsOptions tls;              // STARTTLS (spec §9); off by default
};

class Server {
 public:
  // `exports` must outlive the server. Loads the TLS credentials; throws Error when they
  // cannot be used (see MakeTlsContext).
  Server(ExportCatalog& exports, const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. A unix socket appears at its path only once it accepts connections
  // (bound under a temporary name, then renamed), so its existence means "ready"; a stale
  // socket file is replaced, a live one is kBusy, any other file kInvalidInput. Binding TCP
  // to a non-loopback address warns: there is no TLS. Throws Error.
  void Listen(const ListenAddress& address);

  // Serves on a socket that already listens (socket activation; see AdoptListener). The
  // server owns `fd` from here on.
  void Adopt(int fd);

  // Serves until SIGINT or SIGTERM, then shuts down in order: stop accepting (and remove
  // the unix socket files), stop reading from clients, answer the requests in flight,
  // close. Returns when every connection is closed.
  void Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::nbd
