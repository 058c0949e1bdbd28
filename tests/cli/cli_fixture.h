// A datastore in a temporary directory, created and filled through the real `cairn` binary.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/crypto/sha256.h"
#include "tests/test_support.h"

namespace cairn::test {

// Test image contents: full zero chunks, compressible text, random data and an odd tail
// that is not a multiple of the chunk size.
Bytes MixedImage(size_t chunks, size_t tail, uint32_t seed);

// Where chunk `digest` is stored in datastore `store`: <store>/.chunks/<4 hex>/<64 hex>. The
// digest of an unencrypted chunk is the SHA-256 of its plaintext.
std::filesystem::path ChunkFile(const std::filesystem::path& store, const Digest& digest);

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  // Runs cairn and fails the test unless it exits with `expected_exit`.
  CommandResult Cairn(const std::vector<std::string>& args, int expected_exit = 0,
                      const std::vector<std::string>& env = {});
  // Writes `data` to a file in the temp dir and returns its path.
  std::string WriteInput(const std::string& name, ByteView data);
  // Backs up `image` as drive-scsi0.img of vm/<id> at `time`; returns the snapshot path.
  std::string BackupImage(const std::string& id, const std::string& time, ByteView image,
                          const std::vector<std::string>& extra = {});

  TempDir tmp_;
  std::string store_;  // datastore root
  std::vector<std::string> env_;  // environment for every run (isolated PBS config and run dir)
};

}  // namespace cairn::test
