#include "nbd/listen_address.h"

#include <cctype>
#include <charconv>

#include "core/util/error.h"

namespace cairn::nbd {
namespace {

// Percent-encodes an export name for the path of an NBD URI (spec §13.1).
std::string UriPath(std::string_view name) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || std::string_view("-._~/:").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string ListenAddress::ToString() const {
  if (kind == Kind::kUnix) return "unix:" + path;
  bool v6 = host.find(':') != std::string::npos;
  return "tcp:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ListenAddress::Uri(std::string_view name) const {
  if (kind == Kind::kUnix) return "nbd+unix:///" + UriPath(name) + "?socket=" + path;
  bool v6 = host.find(':') != std::string::npos;
  return "nbd://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + UriPath(name);
}

ListenAddress ParseListenAddress(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kInvalidInput, "--listen '" + std::string(text) + "': " + why);
  };
  ListenAddress a;
  if (text.starts_with("unix:")) {
    a.kind = ListenAddress::Kind::kUnix;
    a.path = text.substr(5);
    if (a.path.empty()) throw bad("empty socket path");
    return a;
  }
  if (!text.starts_with("tcp:")) throw bad("expected unix:PATH or tcp:HOST:PORT");
  std::string_view rest = text.substr(4);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) throw bad("expected tcp:HOST:PORT");
  std::string_view host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) throw bad("empty host");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535) throw bad("bad port");
  a.kind = ListenAddress::Kind::kTcp;
  a.host = host;
  a.port = static_cast<uint16_t>(value);
  return a;
}

}  // namespace cairn::nbd
