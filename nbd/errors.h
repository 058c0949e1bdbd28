// The one place where cairn's error kinds become NBD error values (DESIGN.md "Errors").
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "core/util/error.h"

namespace cairn::nbd {

// The NBD error value (protocol.h ErrorValue) a command fails with when its backend raised
// an error of `kind`. Backend failures are I/O errors for the affected range only (spec §12
// item 14); the client caused none of them.
uint32_t NbdErrorFor(ErrorKind kind);

// NbdErrorFor for any exception a backend may throw: cairn::Error by kind, std::bad_alloc as
// ENOMEM, anything else EIO.
uint32_t NbdErrorFor(const std::exception_ptr& error);

// What the client is told about a failure: the error kind only. The full message names
// datastore paths and chunk digests; it goes to the server's log, not over the wire.
std::string ClientMessageFor(const std::exception_ptr& error);

}  // namespace cairn::nbd
