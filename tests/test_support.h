// Helpers shared by the tests: hex literals, temporary directories, running the cairn binary.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/crypto/aes_gcm.h"
#include "core/util/bytes.h"
#include "core/util/error.h"

namespace cairn::test {

// Decodes a hex literal; spaces and '|' separators are ignored. Aborts the test on bad hex.
Bytes Hex(std::string_view hex);

// The key 00 01 02 ... 1f used by the spec's vectors.
AesKey SequentialKey();

// The message of the cairn::Error that `f` throws; a test failure unless it throws one of
// kind `kind`.
std::string ErrorOf(const std::function<void()>& f, ErrorKind kind);

// A fresh directory under $TMPDIR (else /dev/shm, else /tmp), or under `base`, removed with
// its contents on destruction.
class TempDir {
 public:
  TempDir();
  explicit TempDir(const std::string& base);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A tmpfs of `size` ("24m") mounted at `dir` (created when absent): a small disk that fills
// up. Unmounted (lazily, so an open file cannot keep it) on destruction. Throws
// std::runtime_error when the mount fails.
class SmallDisk {
 public:
  SmallDisk(std::filesystem::path dir, const std::string& size);
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs the cairn binary under test with `args` (no shell), capturing stdout and stderr.
// `env` entries ("NAME=value") are added to the environment; `stdin_data` is fed to stdin.
CommandResult RunCairn(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                       const std::string& stdin_data = "");

// Starts the cairn binary with `args` in the background (no shell): `env` entries are added to
// the environment, stdin is /dev/null, stdout and stderr are appended to `log`. Returns the
// child's pid, to be reaped by the caller; throws std::runtime_error when it cannot start.
pid_t SpawnCairn(const std::vector<std::string>& args, const std::vector<std::string>& env,
                 const std::filesystem::path& log);

Bytes ReadFileBytes(const std::filesystem::path& path);
void WriteFileBytes(const std::filesystem::path& path, ByteView data);

}  // namespace cairn::test
