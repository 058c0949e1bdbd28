// The OpenSSL context every TLS connection of a server shares: the server's certificate and
// key, TLS 1.2 or later, and client certificate verification when a CA is given.
#pragma once

// Boost 1.74's Asio needs <utility> first with GCC 12 in C++20.
#include <utility>

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "nbd/tls.h"

namespace cairn::nbd {

// nullptr when `options.mode` is kOff. Otherwise loads the files now, so that a bad one
// stops the server before it listens: an unreadable file is Error kNotFound/kIo naming it,
// one OpenSSL cannot use (not PEM, a key that does not match the certificate) kInvalidInput
// naming the file and OpenSSL's reason.
std::unique_ptr<boost::asio::ssl::context> MakeTlsContext(const TlsOptions& options);

}  // namespace cairn::nbd
