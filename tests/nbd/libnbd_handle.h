// A libnbd handle for tests: connected to a URI, closed (after DISC) on destruction.
#pragma once

#include <libnbd.h>

#include <string>

namespace cairn::test {

// An open libnbd handle; closed (which sends DISC) on destruction.
class Handle {
 public:
  explicit Handle(const std::string& uri, bool strict = true, bool structured = true) : h_(nbd_create()) {
    if (!strict) nbd_set_strict_mode(h_, 0);
    if (!structured) nbd_set_request_structured_replies(h_, false);
    nbd_add_meta_context(h_, LIBNBD_CONTEXT_BASE_ALLOCATION);
    // The tests' own URIs may name TLS credentials (tls-certificates=DIR).
    nbd_set_uri_allow_local_file(h_, true);
    ok_ = nbd_connect_uri(h_, uri.c_str()) == 0;
    if (!ok_) error_ = nbd_get_error() ? nbd_get_error() : "connect failed";
  }
  ~Handle() {
    if (ok_) nbd_shutdown(h_, 0);
    nbd_close(h_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  nbd_handle* get() const { return h_; }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  nbd_handle* h_;
  bool ok_ = false;
  std::string error_;
};

}  // namespace cairn::test
