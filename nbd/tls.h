// TLS settings of the NBD server (spec §9): which mode it runs in and where its credentials
// are. Asio stays out of this header so that the CLI does not compile it; the OpenSSL
// context is made from these in nbd/tls_context.h.
#pragma once

#include <filesystem>

namespace cairn::nbd {

// The spec's server modes (§9.1), one for every connection of a server.
enum class TlsMode {
  kOff,      // NOTLS: STARTTLS gets ERR_UNSUP
  kAllow,    // STARTTLS upgrades; plain clients are served as well
  kRequire,  // FORCEDTLS: every option but STARTTLS and ABORT gets ERR_TLS_REQD before TLS
};

struct TlsOptions {
  TlsMode mode = TlsMode::kOff;
  std::filesystem::path cert;  // PEM certificate chain, the server's certificate first
  std::filesystem::path key;   // PEM private key of that certificate
  // PEM CA certificates; when set, clients must present a certificate signed by one of them.
  std::filesystem::path ca;
};

}  // namespace cairn::nbd
