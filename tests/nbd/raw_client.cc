#include "tests/nbd/raw_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "nbd/protocol.h"

namespace cairn::test {

using namespace cairn::nbd;

namespace {
// Bounds a hang in a broken server; a working one answers in microseconds.
constexpr int kReceiveTimeoutMs = 60000;
}  // namespace

RawNbdClient::RawNbdClient(const std::string& path) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawNbdClient::~RawNbdClient() {
  if (fd_ >= 0) close(fd_);
}

void RawNbdClient::Send(ByteView bytes) {
  size_t done = 0;
  while (fd_ >= 0 && done < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server closed: later receives report it
    done += static_cast<size_t>(n);
  }
}

std::optional<Bytes> RawNbdClient::Receive(size_t n) {
  Bytes out(n);
  size_t done = 0;
  while (done < n) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, kReceiveTimeoutMs) <= 0) return std::nullopt;
    ssize_t r = recv(fd_, out.data() + done, n - done, 0);
    if (r <= 0) return std::nullopt;
    done += static_cast<size_t>(r);
  }
  return out;
}

bool RawNbdClient::ClosedByServer() {
  char buf[65536];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, kReceiveTimeoutMs) <= 0) return false;
    ssize_t r = recv(fd_, buf, sizeof buf, 0);
    if (r == 0) return true;
    if (r < 0) return errno == ECONNRESET;
  }
}

void RawNbdClient::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

bool RawNbdClient::Greet(uint32_t client_flags) {
  std::optional<Bytes> g = Receive(kGreetingLength);
  if (!g || LoadBE<uint64_t>(g->data()) != kNbdMagic || LoadBE<uint64_t>(g->data() + 8) != kIHaveOpt) return false;
  Bytes flags;
  AppendBE<uint32_t>(flags, client_flags);
  Send(flags);
  return true;
}

void RawNbdClient::SendOption(uint32_t option, ByteView data) {
  Bytes out;
  AppendBE<uint64_t>(out, kIHaveOpt);
  AppendBE<uint32_t>(out, option);
  AppendBE<uint32_t>(out, static_cast<uint32_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  Send(out);
}

std::optional<RawNbdClient::OptionReply> RawNbdClient::ReceiveOptionReply() {
  std::optional<Bytes> h = Receive(kOptionReplyHeaderLength);
  if (!h || LoadBE<uint64_t>(h->data()) != kOptionReplyMagic) return std::nullopt;
  OptionReply r{LoadBE<uint32_t>(h->data() + 8), LoadBE<uint32_t>(h->data() + 12), {}};
  std::optional<Bytes> payload = Receive(LoadBE<uint32_t>(h->data() + 16));
  if (!payload) return std::nullopt;
  r.payload = std::move(*payload);
  return r;
}

std::optional<uint32_t> RawNbdClient::Option(uint32_t option, ByteView data) {
  SendOption(option, data);
  for (;;) {
    std::optional<OptionReply> r = ReceiveOptionReply();
    if (!r) return std::nullopt;
    if (r->type == kRepAck || (r->type & 0x80000000u) != 0) return r->type;
  }
}

bool RawNbdClient::Go(const std::string& name, bool structured, bool meta_context) {
  if (structured && Option(kOptStructuredReply) != kRepAck) return false;
  if (meta_context && Option(kOptSetMetaContext, MetaContextPayload(name, {kBaseAllocation})) != kRepAck) return false;
  return Option(kOptGo, GoPayload(name, {kInfoBlockSize})) == kRepAck;
}

void RawNbdClient::SendRequest(uint16_t flags, uint16_t type, uint64_t cookie, uint64_t offset, uint32_t length,
                               uint32_t magic) {
  Bytes out;
  AppendBE<uint32_t>(out, magic);
  AppendBE<uint16_t>(out, flags);
  AppendBE<uint16_t>(out, type);
  AppendBE<uint64_t>(out, cookie);
  AppendBE<uint64_t>(out, offset);
  AppendBE<uint32_t>(out, length);
  Send(out);
}

std::optional<RawNbdClient::ReplyChunk> RawNbdClient::ReceiveReply(size_t read_length) {
  std::optional<Bytes> m = Receive(4);
  if (!m) return std::nullopt;
  ReplyChunk c{};
  if (LoadBE<uint32_t>(m->data()) == kSimpleReplyMagic) {
    std::optional<Bytes> rest = Receive(12);
    if (!rest) return std::nullopt;
    c.structured = false;
    c.error = LoadBE<uint32_t>(rest->data());
    c.cookie = LoadBE<uint64_t>(rest->data() + 4);
    if (c.error == 0 && read_length > 0) {
      std::optional<Bytes> data = Receive(read_length);
      if (!data) return std::nullopt;
      c.payload = std::move(*data);
    }
    return c;
  }
  if (LoadBE<uint32_t>(m->data()) != kStructuredReplyMagic) return std::nullopt;
  std::optional<Bytes> rest = Receive(16);
  if (!rest) return std::nullopt;
  c.structured = true;
  c.flags = LoadBE<uint16_t>(rest->data());
  c.type = LoadBE<uint16_t>(rest->data() + 2);
  c.cookie = LoadBE<uint64_t>(rest->data() + 4);
  std::optional<Bytes> payload = Receive(LoadBE<uint32_t>(rest->data() + 12));
  if (!payload) return std::nullopt;
  c.payload = std::move(*payload);
  return c;
}

Bytes GoPayload(const std::string& name, std::initializer_list<uint16_t> infos) {
  Bytes out;
  AppendBE<uint32_t>(out, static_cast<uint32_t>(name.size()));
  AppendString(out, name);
  AppendBE<uint16_t>(out, static_cast<uint16_t>(infos.size()));
  for (uint16_t i : infos) AppendBE<uint16_t>(out, i);
  return out;
}

Bytes MetaContextPayload(const std::string& name, std::initializer_list<std::string> queries) {
  Bytes out;
  AppendBE<uint32_t>(out, static_cast<uint32_t>(name.size()));
  AppendString(out, name);
  AppendBE<uint32_t>(out, static_cast<uint32_t>(queries.size()));
  for (const std::string& q : queries) {
    AppendBE<uint32_t>(out, static_cast<uint32_t>(q.size()));
    AppendString(out, q);
  }
  return out;
}

}  // namespace cairn::test
