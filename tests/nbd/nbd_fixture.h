// End-to-end NBD tests: a datastore made with the real `cairn` binary, a `cairn nbd` server
// process on a unix socket in a temporary directory, and real clients (libnbd's tools and C
// API, qemu-img, qemu-io, raw sockets) talking to it.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "core/util/bytes.h"
#include "tests/test_support.h"

namespace cairn::test {

// A datastore in a temporary directory, made with `cairn init`, with its own PBS
// configuration (env). Tests that change a datastore use one of their own.
struct ScratchStore {
  ScratchStore();
  // Backs up the file `image_path` as drive-scsi0.img of vm/<id> at `time` with the real
  // binary; throws std::runtime_error when that fails.
  void Backup(const std::string& id, const std::string& time, const std::string& image_path) const;

  TempDir dir;
  std::string store;
  std::vector<std::string> env;  // isolated PBS configuration for cairn runs
};

// The datastore every NBD test reads, made once per test process:
//   vm/100/2024-05-01T10:00:00Z/drive-scsi0.img  kImageA (36 MiB + 1234: zero, text and random chunks)
//   vm/100/2024-05-02T10:00:00Z/drive-scsi0.img  kImageB (16 MiB), also vm/100/latest/drive-scsi0.img
struct NbdStore : ScratchStore {
  static const NbdStore& Get();

  Bytes image_a, image_b;
  std::string image_a_path, image_b_path;  // the raw images, for clients that compare files
};

inline constexpr char kExportA[] = "vm/100/2024-05-01T10:00:00Z/drive-scsi0.img";
inline constexpr char kExportB[] = "vm/100/2024-05-02T10:00:00Z/drive-scsi0.img";
inline constexpr char kLatest[] = "vm/100/latest/drive-scsi0.img";

struct ShellResult {
  int exit_code;
  std::string output;  // stdout and stderr
};
// Runs `command` with /bin/sh, capturing both outputs.
ShellResult Sh(const std::string& command);

class NbdTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Stops the server (SIGTERM) and expects a clean exit, if it is still running.
  void TearDown() override;

  // Starts `cairn nbd STORE --listen unix:SOCK extra...` and waits for the socket.
  void StartServer(const std::vector<std::string>& extra = {});
  // The same for another datastore, with `env` added to the server's environment.
  void StartServerOn(const std::string& store, const std::vector<std::string>& env,
                     const std::vector<std::string>& extra = {});
  // SIGTERM, then waits for the exit; returns the exit code (-1 if it had to be killed).
  int StopServer();
  // Waits for a server that was told to stop otherwise; its exit code (-1 if killed).
  int WaitServerExit();
  // SIGKILL (no clean shutdown: a crash), reaps the process and removes its stale socket.
  void KillServer();
  // True while the server process has not exited.
  bool ServerAlive();

  // nbd+unix URI of export `name` ("" = the default export) on the test server.
  std::string Uri(const std::string& name = "") const;

  const NbdStore& data_ = NbdStore::Get();
  TempDir tmp_;
  std::string socket_;
  pid_t pid_ = -1;
};

}  // namespace cairn::test
