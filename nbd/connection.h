// One client connection, from the greeting to the close (nbdkit: server/connections.c).
// The phases live in separate files, named after the protocol: handshake.cc (fixed
// newstyle option haggling, spec §2–§4) and transmission.cc (requests and replies, §5–§6).
//
// Threads: everything that touches the socket or the connection's state runs on the
// connection's strand. Backend calls (BlockSource reads, extents, opening an export) may
// block on disk or on a chunk decode, so they run on the server's worker pool and post
// their reply back to the strand; a read whose chunks are all in memory runs on the strand. The connection is owned by shared_ptrs held by its
// coroutines and by every request in flight: it outlives its last in-flight request, and
// writing to a client that hung up is an ordinary error (spec §12 item 12).
#pragma once

// Boost 1.74's Asio needs <utility> first with GCC 12 in C++20.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <span>
#include <vector>
#include <memory>
#include <string>

#include "core/read/block_source.h"
#include "core/util/bytes.h"
#include "nbd/exports.h"
#include "nbd/reply.h"
#include "nbd/stream.h"
#include "nbd/tls.h"

namespace cairn::nbd {

namespace asio = boost::asio;
using Socket = ConnectionStream::Socket;
using Strand = asio::strand<asio::io_context::executor_type>;

// Per-connection bounds against clients that would make the server allocate without limit.
struct ConnectionLimits {
  size_t max_options = 256;                    // options in one handshake
  size_t max_option_length = 1 << 20;          // bytes of one option's data; more: disconnect
  uint64_t max_inflight_bytes = 64 << 20;      // READ bytes buffered for replies not yet sent
  size_t max_inflight_requests = 256;          // requests read but not yet answered
};

// The server's TLS mode and, unless it is kOff, the context sessions are made with (owned by
// the server, outliving its connections).
struct ConnectionTls {
  TlsMode mode = TlsMode::kOff;
  asio::ssl::context* context = nullptr;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `exports` must outlive the connection; `workers` runs backend calls.
  Connection(Socket socket, Strand strand, ExportCatalog& exports, asio::thread_pool::executor_type workers,
             const ConnectionLimits& limits, const ConnectionTls& tls, uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs the handshake and then transmission.
  void Start();
  // Server shutdown (spec §12 item 13): requests already read are still answered; for
  // kShutdownGrace new requests get ESHUTDOWN (options ERR_SHUTDOWN); then reading stops and
  // the connection closes once the last reply is out. Thread-safe.
  void Shutdown();
  static constexpr std::chrono::milliseconds kShutdownGrace{1000};

 private:
  // A transmission-phase request header (spec §5.1).
  struct Request {
    uint16_t flags;
    uint16_t type;
    uint64_t cookie;
    uint64_t offset;
    uint32_t length;
  };
  // A range of a READ: known zeros, data, or data whose read failed with `error`.
  struct ReadPiece {
    uint64_t offset;
    uint64_t length;
    bool zero;
    std::exception_ptr error;
  };
  struct QueuedReply {
    Reply reply;
    uint64_t reserved;  // READ bytes counted against max_inflight_bytes
  };

  static asio::awaitable<void> Run(std::shared_ptr<Connection> self);

  // --- handshake.cc ---
  // Returns true when the client entered transmission with an export and a source.
  asio::awaitable<bool> Handshake();
  asio::awaitable<void> SendOptionReply(uint32_t option, uint32_t type, ByteView payload = {});
  asio::awaitable<void> SendOptionError(uint32_t option, uint32_t type, std::string_view message);
  asio::awaitable<bool> HandleExportName(const Bytes& data);
  // Returns false when the session must end (the TLS handshake failed).
  asio::awaitable<bool> HandleStartTls(const Bytes& data);
  asio::awaitable<void> HandleList(const Bytes& data);
  asio::awaitable<bool> HandleInfoOrGo(uint32_t option, const Bytes& data);
  asio::awaitable<void> HandleMetaContext(uint32_t option, const Bytes& data);
  // Takes the catalog's current list (relisting on the worker pool when it is old).
  asio::awaitable<void> RefreshExports();
  // Opens the export's source on the worker pool.
  asio::awaitable<std::unique_ptr<BlockSource>> OpenSource(const Export& e);
  // The transmission flags for export `e` (spec §12 item 10): computed when it is chosen.
  uint16_t TransmissionFlags(const Export& e) const;

  // --- transmission.cc ---
  asio::awaitable<void> Transmit();
  // Answers at once what needs no backend call (errors, FLUSH of a read-only export) or
  // only memory (a read of cached chunks, BlockSource::IsReadReady);
  // otherwise hands the request (and a WRITE's payload) to the worker pool.
  void Dispatch(const Request& request, Bytes payload);
  // Runs on a worker thread (or the strand, see Dispatch): only reads state that is fixed
  // once transmission started.
  Reply Execute(const Request& request, const Bytes& payload) const;
  // A chunk that cannot be read fails only its own range (spec §12 item 14): with
  // structured replies the other ranges' data still goes out, followed by ERROR_OFFSET
  // chunks; one log line per failed range names the export and the chunk.
  void ExecuteRead(const Request& request, Reply& reply) const;
  // Reads the data pieces a block at a time, appending the request's bytes in order to
  // `data` (null-owner pieces for holes and failed blocks); returns the pieces split at
  // failures and merged elsewhere.
  std::vector<ReadPiece> ReadPieces(std::vector<ReadPiece> pieces, std::vector<SharedBytes>& data) const;
  void ExecuteBlockStatus(const Request& request, Reply& reply) const;
  void ExecuteCache(const Request& request) const;
  // An error reply in the form the command and negotiation call for.
  Reply ErrorReply(const Request& request, uint32_t error, std::string_view message) const;
  // Queues a finished reply for the writer (strand only).
  void Enqueue(Reply reply, uint64_t reserved);
  // Sends the next batch of queued replies, if any, and again when it went out (strand only).
  void WriteNext();
  // A reply went out or was dropped: frees its share of the in-flight limits.
  void Release(uint64_t reserved);
  // Protocol violation or dead peer: no more reading or writing (spec §0 hard disconnect).
  void HardDisconnect(std::string_view why);

  ConnectionStream stream_;  // plain, or TLS after STARTTLS
  Strand strand_;
  ExportCatalog& catalog_;
  std::shared_ptr<const ExportList> exports_;  // the list this connection uses; export_ points into it
  asio::thread_pool::executor_type workers_;
  const ConnectionLimits limits_;
  const ConnectionTls tls_;
  const uint64_t id_;  // for log messages
  bool stopping_ = false;  // Shutdown() was called

  // Negotiated in the handshake, fixed in transmission.
  bool no_zeroes_ = false;
  bool structured_ = false;
  bool meta_selected_ = false;              // base:allocation chosen by SET_META_CONTEXT
  std::string meta_export_name_;            // the export the last SET_META_CONTEXT named
  const Export* export_ = nullptr;          // the export being served
  std::unique_ptr<BlockSource> source_;     // this connection's reader of export_
  WritableBlockSource* writable_ = nullptr;  // source_ when the export is writable

  // Transmission state (strand only).
  std::deque<QueuedReply> queue_;           // replies waiting for the writer
  std::vector<QueuedReply> writing_batch_;  // replies being sent
  bool writing_ = false;                    // a write is in progress
  bool dead_ = false;                       // hard-disconnected: replies are dropped
  uint64_t inflight_bytes_ = 0;
  size_t inflight_requests_ = 0;
  asio::steady_timer wake_;                 // wakes the reader when in-flight work drained
  asio::steady_timer grace_;                // ends reading kShutdownGrace after Shutdown()
};

}  // namespace cairn::nbd
