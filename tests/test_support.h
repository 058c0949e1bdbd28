// Helpers shared by the tests: hex literals, temporary directories, running the cairn binary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/crypto/aes_gcm.h"
#include "core/util/bytes.h"

namespace cairn::test {

// Decodes a hex literal; spaces and '|' separators are ignored. Aborts the test on bad hex.
Bytes Hex(std::string_view hex);

// The key 00 01 02 ... 1f used by the spec's vectors.
AesKey SequentialKey();

// A fresh directory under $TMPDIR (else /dev/shm, else /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
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

Bytes ReadFileBytes(const std::filesystem::path& path);
void WriteFileBytes(const std::filesystem::path& path, ByteView data);

}  // namespace cairn::test
