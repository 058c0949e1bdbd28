// The one error type of cairn: a category that callers map to exit codes and errno values,
// and a message that names what was involved (datastore path, snapshot, file, offset, chunk).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cairn {

enum class ErrorKind {
  kNotFound,      // a file, chunk, snapshot or key that should exist does not
  kCorrupt,       // stored bytes fail a format check, CRC or digest
  kCrypto,        // wrong key, failed authentication tag, missing key for encrypted data
  kIo,            // the operating system refused or failed an operation
  kInvalidInput,  // the user's arguments or input data are not acceptable
  kBusy,          // a lock is held by someone else (backup, prune, GC running)
  kUnsupported,   // a valid but unsupported feature (e.g. an S3-backed datastore chunk)
};

// Short lowercase name of a kind ("not found", "corrupt", ...), for messages and JSON.
std::string_view ErrorKindName(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, int system_errno = 0)
      : std::runtime_error(message), kind_(kind), system_errno_(system_errno) {}

  ErrorKind kind() const { return kind_; }
  // The errno behind a kIo/kNotFound error raised by a system call, else 0.
  int system_errno() const { return system_errno_; }

  // Returns a copy whose message is "<context>: <message>", keeping the kind. Used to add the
  // outer facts (datastore, snapshot, file) while an error travels up.
  Error WithContext(std::string_view context) const;

 private:
  ErrorKind kind_;
  int system_errno_;
};

// Builds an kIo error from errno: "<what>: <strerror(errnum)>"; ENOENT becomes kNotFound.
Error SystemError(const std::string& what, int errnum);

}  // namespace cairn
