// Fixed newstyle negotiation (spec §2–§4, §12 items 1–3 and 7; nbdkit:
// server/protocol-handshake-newstyle.c). Also the connection's start and shutdown.
#include "nbd/connection.h"

#include <optional>

#include "core/util/log.h"
#include "nbd/protocol.h"

namespace cairn::nbd {
namespace {

using asio::use_awaitable;

constexpr uint32_t kBaseAllocationId = 1;  // the id SET_META_CONTEXT gives base:allocation
constexpr uint32_t kMinBlock = 1;

// Reads an option's payload field by field; every read is checked against what is left,
// so that no length from the client is trusted (spec §12 item 2).
class PayloadReader {
 public:
  explicit PayloadReader(const Bytes& data) : data_(data) {}

  template <typename T>
  std::optional<T> Number() {
    if (data_.size() - pos_ < sizeof(T)) return std::nullopt;
    T v = LoadBE<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  std::optional<std::string> String(uint64_t length) {
    if (data_.size() - pos_ < length) return std::nullopt;
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), length);
    pos_ += length;
    return s;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  const Bytes& data_;
  size_t pos_ = 0;
};

// A name for log messages and error replies: bounded, whatever the client sent.
std::string Quoted(std::string_view name) {
  constexpr size_t kShown = 256;
  std::string s = "'" + std::string(name.substr(0, kShown));
  if (name.size() > kShown) s += "...";
  return s + "'";
}

bool IsBaseAllocation(std::string_view query) { return query == kBaseAllocation; }

}  // namespace

Connection::Connection(Socket socket, Strand strand, ExportCatalog& exports,
                       asio::thread_pool::executor_type workers, const ConnectionLimits& limits,
                       const ConnectionTls& tls, uint64_t id)
    : stream_(std::move(socket)),
      strand_(std::move(strand)),
      catalog_(exports),
      exports_(exports.Peek()),
      workers_(workers),
      limits_(limits),
      tls_(tls),
      id_(id),
      wake_(strand_),
      grace_(strand_) {}

Connection::~Connection() { Log(LogLevel::kDebug, "nbd: connection " + std::to_string(id_) + " closed"); }

void Connection::Start() { asio::co_spawn(strand_, Run(shared_from_this()), asio::detached); }

asio::awaitable<void> Connection::Run(std::shared_ptr<Connection> self) {
  try {
    if (co_await self->Handshake()) co_await self->Transmit();
  } catch (const std::exception& e) {
    // The client left or broke the protocol during the handshake; nothing to answer.
    Log(LogLevel::kDebug, "nbd: connection " + std::to_string(self->id_) + ": " + e.what());
  }
}

void Connection::Shutdown() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->wake_.cancel();
    // For a grace period requests still arriving are answered ESHUTDOWN and options
    // ERR_SHUTDOWN, so that clients disconnect softly; then reading ends, the replies in
    // flight go out, and the connection closes.
    self->grace_.expires_after(kShutdownGrace);
    self->grace_.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      self->stream_.socket().shutdown(Socket::shutdown_receive, ignored);
    });
  });
}

// GCC 12 destroys some temporaries of a co_await expression twice: every argument of a
// co_await below is a named variable or trivially destructible (a view, a literal).
asio::awaitable<void> Connection::SendOptionReply(uint32_t option, uint32_t type, ByteView payload) {
  Bytes out;
  out.reserve(kOptionReplyHeaderLength + payload.size());
  AppendBE<uint64_t>(out, kOptionReplyMagic);
  AppendBE<uint32_t>(out, option);
  AppendBE<uint32_t>(out, type);
  AppendBE<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  co_await asio::async_write(stream_, asio::buffer(out), use_awaitable);
}

asio::awaitable<void> Connection::SendOptionError(uint32_t option, uint32_t type, std::string_view message) {
  co_await SendOptionReply(option, type, AsBytes(message.substr(0, kMaxStringLength)));
}

uint16_t Connection::TransmissionFlags(const Export& e) const {
  // Read-only, no cache of our own that a FLUSH would have to publish: CAN_MULTI_CONN.
  // FLUSH is a no-op kept for picky clients; CACHE prefetches; DF needs structured replies.
  // A writable export's overlay is shared by all its connections and flushed with one
  // fdatasync, so a FLUSH or FUA on one is visible on all: CAN_MULTI_CONN still holds.
  uint16_t flags = kFlagHasFlags | kFlagSendFlush | kFlagCanMultiConn | kFlagSendCache;
  flags |= e.writable ? kFlagSendFua | kFlagSendTrim | kFlagSendWriteZeroes : kFlagReadOnly;
  if (structured_) flags |= kFlagSendDf;
  return flags;
}

asio::awaitable<void> Connection::RefreshExports() {
  // Relisting reads the datastore: not on an I/O thread.
  ExportCatalog& catalog = catalog_;
  std::shared_ptr<const ExportList> current = co_await asio::co_spawn(
      workers_, [&catalog]() -> asio::awaitable<std::shared_ptr<const ExportList>> { co_return catalog.Current(); },
      use_awaitable);
  exports_ = std::move(current);
}

asio::awaitable<std::unique_ptr<BlockSource>> Connection::OpenSource(const Export& e) {
  // Opening reads the snapshot's manifest and index from disk: not on an I/O thread.
  co_return co_await asio::co_spawn(
      workers_, [&e]() -> asio::awaitable<std::unique_ptr<BlockSource>> { co_return e.open(); }, use_awaitable);
}

asio::awaitable<bool> Connection::Handshake() {
  Bytes greeting;
  AppendBE<uint64_t>(greeting, kNbdMagic);
  AppendBE<uint64_t>(greeting, kIHaveOpt);
  AppendBE<uint16_t>(greeting, kFlagFixedNewstyle | kFlagNoZeroes);
  co_await asio::async_write(stream_, asio::buffer(greeting), use_awaitable);

  uint8_t client_flags_bytes[4];
  co_await asio::async_read(stream_, asio::buffer(client_flags_bytes), use_awaitable);
  uint32_t client_flags = LoadBE<uint32_t>(client_flags_bytes);
  if ((client_flags & ~(kClientFlagFixedNewstyle | kClientFlagNoZeroes)) != 0) {
    Log(LogLevel::kDebug, "nbd: closing: client sent unknown flags " + std::to_string(client_flags));
    co_return false;
  }
  const bool fixed = (client_flags & kClientFlagFixedNewstyle) != 0;
  no_zeroes_ = (client_flags & kClientFlagNoZeroes) != 0;

  for (size_t count = 0;; ++count) {
    uint8_t header[kOptionHeaderLength];
    co_await asio::async_read(stream_, asio::buffer(header), use_awaitable);
    if (LoadBE<uint64_t>(header) != kIHaveOpt) {
      Log(LogLevel::kDebug, "nbd: closing: bad option magic");
      co_return false;
    }
    const uint32_t option = LoadBE<uint32_t>(header + 8);
    const uint32_t length = LoadBE<uint32_t>(header + 12);
    // Decided before reading or allocating anything of the announced size.
    if (length > limits_.max_option_length || count >= limits_.max_options) {
      Log(LogLevel::kDebug, "nbd: closing: option too long or too many options");
      co_return false;
    }
    Bytes data(length);
    co_await asio::async_read(stream_, asio::buffer(data), use_awaitable);
    // A client without fixed newstyle cannot parse option replies (spec §2.1).
    if (!fixed && option != kOptExportName) co_return false;
    if (stopping_ && option != kOptAbort) {
      co_await SendOptionError(option, kRepErrShutdown, "server is shutting down");
      continue;
    }
    // FORCEDTLS (spec §9.1): nothing but STARTTLS and ABORT before TLS, unknown options
    // included; EXPORT_NAME has no error reply, so it ends the connection.
    if (tls_.mode == TlsMode::kRequire && !stream_.tls() && option != kOptStartTls && option != kOptAbort) {
      if (option == kOptExportName) {
        Log(LogLevel::kInfo, "nbd: connection " + std::to_string(id_) + ": EXPORT_NAME before TLS, closing");
        co_return false;
      }
      co_await SendOptionError(option, kRepErrTlsReqd, "this server requires TLS: send STARTTLS first (nbds:// URIs)");
      continue;
    }
    // New snapshots appear without a restart: the options that name or list exports see a
    // list at most the catalog's max age old.
    if (option == kOptExportName || option == kOptList || option == kOptInfo || option == kOptGo) {
      co_await RefreshExports();
    }
    switch (option) {
      case kOptExportName:
        co_return co_await HandleExportName(data);
      case kOptAbort:
        co_await SendOptionReply(option, kRepAck);
        co_return false;
      case kOptList:
        co_await HandleList(data);
        break;
      case kOptInfo:
      case kOptGo:
        if (co_await HandleInfoOrGo(option, data)) co_return true;
        break;
      case kOptStructuredReply:
        if (!data.empty()) {
          co_await SendOptionError(option, kRepErrInvalid, "STRUCTURED_REPLY takes no data");
        } else if (structured_) {
          co_await SendOptionError(option, kRepErrInvalid, "structured replies already negotiated");
        } else {
          structured_ = true;
          co_await SendOptionReply(option, kRepAck);
        }
        break;
      case kOptListMetaContext:
      case kOptSetMetaContext:
        co_await HandleMetaContext(option, data);
        break;
      case kOptStartTls:
        if (!co_await HandleStartTls(data)) co_return false;
        break;
      default: {  // includes EXTENDED_HEADERS and the withdrawn PEEK_EXPORT
        std::string message = "option " + std::to_string(option) + " is not supported";
        co_await SendOptionError(option, kRepErrUnsup, message);
        break;
      }
    }
  }
}

asio::awaitable<bool> Connection::HandleExportName(const Bytes& data) {
  // There is no error reply to EXPORT_NAME: every failure is a disconnect (spec §3.1).
  std::string name(data.begin(), data.end());
  if (name.size() > kMaxStringLength) co_return false;
  const Export* e = exports_->Find(name);
  if (e == nullptr) {
    Log(LogLevel::kInfo, "nbd: client asked for unknown export " + Quoted(name));
    co_return false;
  }
  try {
    source_ = co_await OpenSource(*e);
  } catch (const std::exception& ex) {
    Log(LogLevel::kWarning, "nbd: cannot open export " + Quoted(e->name) + ": " + ex.what());
    co_return false;
  }
  export_ = e;
  if (meta_export_name_ != e->name) meta_selected_ = false;
  Bytes out;
  AppendBE<uint64_t>(out, e->size);
  AppendBE<uint16_t>(out, TransmissionFlags(*e));
  if (!no_zeroes_) out.resize(out.size() + kExportNameZeroPad, 0);
  co_await asio::async_write(stream_, asio::buffer(out), use_awaitable);
  co_return true;
}

asio::awaitable<bool> Connection::HandleStartTls(const Bytes& data) {
  if (!data.empty()) {
    co_await SendOptionError(kOptStartTls, kRepErrInvalid, "STARTTLS takes no data");
  } else if (tls_.mode == TlsMode::kOff) {
    co_await SendOptionError(kOptStartTls, kRepErrUnsup, "TLS is not configured on this server");
  } else if (stream_.tls()) {
    co_await SendOptionError(kOptStartTls, kRepErrInvalid, "TLS is already running");
  } else {
    co_await SendOptionReply(kOptStartTls, kRepAck);
    stream_.StartTls(*tls_.context);
    boost::system::error_code ec;
    co_await stream_.async_handshake(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      // After the ACK there is no way back to clear text: the session ends (spec §9.1).
      Log(LogLevel::kInfo, "nbd: connection " + std::to_string(id_) + ": TLS handshake failed: " + ec.message());
      co_return false;
    }
    // Whatever was negotiated in clear text is forgotten (spec §3.4): a man in the middle
    // may have chosen it.
    structured_ = false;
    meta_selected_ = false;
    meta_export_name_.clear();
  }
  co_return true;
}

asio::awaitable<void> Connection::HandleList(const Bytes& data) {
  if (!data.empty()) {
    co_await SendOptionError(kOptList, kRepErrInvalid, "LIST takes no data");
    co_return;
  }
  for (const Export& e : exports_->all()) {
    Bytes payload;
    AppendBE<uint32_t>(payload, static_cast<uint32_t>(e.name.size()));
    AppendString(payload, e.name);
    AppendString(payload, std::string_view(e.description).substr(0, kMaxStringLength));
    co_await SendOptionReply(kOptList, kRepServer, payload);
  }
  co_await SendOptionReply(kOptList, kRepAck);
}

asio::awaitable<bool> Connection::HandleInfoOrGo(uint32_t option, const Bytes& data) {
  // u32 name length, name, u16 n, n x u16 info request (spec §3.5).
  PayloadReader in(data);
  std::optional<uint32_t> name_length = in.Number<uint32_t>();
  std::optional<std::string> name = name_length ? in.String(*name_length) : std::nullopt;
  std::optional<uint16_t> count = name ? in.Number<uint16_t>() : std::nullopt;
  bool want_name = false, want_description = false;
  bool ok = count.has_value();
  for (uint16_t i = 0; ok && i < *count; ++i) {
    std::optional<uint16_t> item = in.Number<uint16_t>();
    ok = item.has_value();
    if (item == kInfoName) want_name = true;
    if (item == kInfoDescription) want_description = true;
  }
  if (!ok || !in.AtEnd()) {
    co_await SendOptionError(option, kRepErrInvalid, "malformed INFO/GO request");
    co_return false;
  }
  if (name->size() > kMaxStringLength) {
    co_await SendOptionError(option, kRepErrInvalid, "export name longer than 4096 bytes");
    co_return false;
  }
  const Export* e = exports_->Find(*name);
  if (e == nullptr) {
    std::string message = name->empty() ? "no default export: name one (nbdinfo --list shows them)"
                                        : "export " + Quoted(*name) + " not present";
    co_await SendOptionError(option, kRepErrUnknown, message);
    co_return false;
  }
  std::unique_ptr<BlockSource> source;
  if (option == kOptGo) {
    std::string failure;
    try {
      source = co_await OpenSource(*e);
    } catch (const std::exception& ex) {
      Log(LogLevel::kWarning, "nbd: cannot open export " + Quoted(e->name) + ": " + ex.what());
      failure = "export " + Quoted(e->name) + " cannot be opened (see the server's log)";
    }
    if (!source) {
      co_await SendOptionError(option, kRepErrUnknown, failure);
      co_return false;
    }
  }

  Bytes item;
  AppendBE<uint16_t>(item, kInfoExport);  // mandatory, asked for or not
  AppendBE<uint64_t>(item, e->size);
  AppendBE<uint16_t>(item, TransmissionFlags(*e));
  co_await SendOptionReply(option, kRepInfo, item);
  if (want_name) {
    item.clear();
    AppendBE<uint16_t>(item, kInfoName);
    AppendString(item, e->name);
    co_await SendOptionReply(option, kRepInfo, item);
  }
  if (want_description) {
    item.clear();
    AppendBE<uint16_t>(item, kInfoDescription);
    AppendString(item, std::string_view(e->description).substr(0, kMaxStringLength));
    co_await SendOptionReply(option, kRepInfo, item);
  }
  // Always sent, like qemu-nbd: min 1 never constrains a client, preferred steers nbdcopy
  // and qemu towards whole chunks, and max is the READ size we buffer.
  item.clear();
  AppendBE<uint16_t>(item, kInfoBlockSize);
  AppendBE<uint32_t>(item, kMinBlock);
  AppendBE<uint32_t>(item, e->preferred_block);
  AppendBE<uint32_t>(item, kMaxPayload);
  co_await SendOptionReply(option, kRepInfo, item);
  co_await SendOptionReply(option, kRepAck);
  if (option != kOptGo) co_return false;

  export_ = e;
  source_ = std::move(source);
  // The selection counts only for the export the last SET_META_CONTEXT named (spec §3.7).
  if (meta_export_name_ != e->name) meta_selected_ = false;
  co_return true;
}

asio::awaitable<void> Connection::HandleMetaContext(uint32_t option, const Bytes& data) {
  const bool set = option == kOptSetMetaContext;
  if (set) meta_selected_ = false;  // SET replaces the selection even when it fails
  if (!structured_) {
    co_await SendOptionError(option, kRepErrInvalid, "negotiate structured replies first");
    co_return;
  }
  // u32 name length, name, u32 query count, n x (u32 length, query) (spec §3.7).
  PayloadReader in(data);
  std::optional<uint32_t> name_length = in.Number<uint32_t>();
  std::optional<std::string> name = name_length ? in.String(*name_length) : std::nullopt;
  std::optional<uint32_t> count = name ? in.Number<uint32_t>() : std::nullopt;
  bool ok = count.has_value();
  bool matched = false;
  for (uint32_t i = 0; ok && i < *count; ++i) {
    std::optional<uint32_t> query_length = in.Number<uint32_t>();
    std::optional<std::string> query = query_length ? in.String(*query_length) : std::nullopt;
    ok = query.has_value() && query->size() <= kMaxStringLength;
    // Queries of namespaces we do not know are ignored (qemu sends "qemu:"); "base:" is a
    // wildcard for LIST only.
    if (ok) matched |= IsBaseAllocation(*query) || (!set && *query == "base:");
  }
  if (!ok || !in.AtEnd() || name->size() > kMaxStringLength) {
    co_await SendOptionError(option, kRepErrInvalid, "malformed meta context request");
    co_return;
  }
  const Export* e = exports_->Find(*name);
  if (e == nullptr) {
    std::string message = "export " + Quoted(*name) + " not present";
    co_await SendOptionError(option, kRepErrUnknown, message);
    co_return;
  }
  if (!set && *count == 0) matched = true;  // LIST with no queries: everything selectable
  if (matched) {
    Bytes payload;
    AppendBE<uint32_t>(payload, set ? kBaseAllocationId : 0);
    AppendString(payload, kBaseAllocation);
    co_await SendOptionReply(option, kRepMetaContext, payload);
  }
  if (set) {
    meta_selected_ = matched;
    meta_export_name_ = e->name;
  }
  co_await SendOptionReply(option, kRepAck);
}

}  // namespace cairn::nbd
