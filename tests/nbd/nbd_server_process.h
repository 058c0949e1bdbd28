// A `cairn nbd` server process on a unix socket, for tests whose fixture is something else
// (a mount, a restore): started by the constructor, stopped with SIGTERM by Stop() and, if a
// test failed before that, killed by the destructor.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cairn::test {

class NbdServerProcess {
 public:
  // Runs `cairn nbd STORE --listen unix:<dir>/nbd.sock extra...` with `env` added to the
  // environment, logging to <dir>/nbd.log, and waits until the socket is in place. Throws
  // std::runtime_error (with the log) when the server exits or does not come up.
  NbdServerProcess(const std::string& store, const std::vector<std::string>& env, const std::filesystem::path& dir,
                   const std::vector<std::string>& extra = {});
  ~NbdServerProcess();
  NbdServerProcess(const NbdServerProcess&) = delete;
  NbdServerProcess& operator=(const NbdServerProcess&) = delete;

  // SIGTERM, then waits for the exit; returns the exit code (-1 when it had to be killed,
  // 128 + signal when a signal ended it).
  int Stop();
  // True while the process has not exited.
  bool Alive();
  // nbd+unix URI of export `name` ("" = the default export).
  std::string Uri(const std::string& name = "") const;
  // What the server wrote to stdout and stderr so far.
  std::string Log() const;

 private:
  std::filesystem::path socket_;
  std::filesystem::path log_;
  pid_t pid_ = -1;  // -1 once reaped
};

}  // namespace cairn::test
