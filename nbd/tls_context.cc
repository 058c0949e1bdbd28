#include "nbd/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/util/error.h"

namespace cairn::nbd {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's reasons name no file: the check for readability comes first, so that the usual
// mistakes (a wrong path, a key readable only by root) get the operating system's words.
void RequireReadable(const std::filesystem::path& path, const char* what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError(std::string("cannot read TLS ") + what + " " + path.string(), errno);
  ::close(fd);
}

// Turns an error of the context's loaders into one naming the file.
void Check(const boost::system::error_code& ec, const std::filesystem::path& path, const char* what) {
  if (!ec) return;
  std::string reason = ec.message();
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    char text[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), text, sizeof text);
    reason = text;
  }
  throw Error(ErrorKind::kInvalidInput, "cannot use TLS " + std::string(what) + " " + path.string() + ": " + reason);
}

}  // namespace

std::unique_ptr<ssl::context> MakeTlsContext(const TlsOptions& options) {
  if (options.mode == TlsMode::kOff) return nullptr;
  if (options.cert.empty() || options.key.empty()) {
    throw Error(ErrorKind::kInvalidInput, "TLS needs a certificate and its key (--tls-cert and --tls-key)");
  }
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  // The spec (§9.2): TLS 1.2 must be supported, older versions only by explicit choice.
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use);
  boost::system::error_code ec;
  RequireReadable(options.cert, "certificate");
  context->use_certificate_chain_file(options.cert.string(), ec);
  Check(ec, options.cert, "certificate");
  RequireReadable(options.key, "key");
  context->use_private_key_file(options.key.string(), ssl::context::pem, ec);
  Check(ec, options.key, "key");  // also when it is not the certificate's key ("key values mismatch")
  if (!options.ca.empty()) {
    RequireReadable(options.ca, "CA certificate");
    context->load_verify_file(options.ca.string(), ec);
    Check(ec, options.ca, "CA certificate");
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  return context;
}

}  // namespace cairn::nbd
