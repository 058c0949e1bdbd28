// What every cairn command shares: exit codes, key loading, datastore options from the
// environment, and JSON/human output helpers.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/cache/chunk_cache.h"
#include "core/crypto/crypt_config.h"
#include "core/read/read_ahead.h"
#include "core/store/datastore.h"
#include "core/util/error.h"

namespace cairn::cli {

// Documented in README.md and in `cairn --help`.
enum ExitCode : int {
  kExitOk = 0,
  kExitDamage = 1,       // verify found damaged or missing data
  kExitUsage = 2,        // bad arguments or input
  kExitNotFound = 3,     // datastore, snapshot, file or chunk not found
  kExitCorrupt = 4,      // stored data failed a check while reading
  kExitCrypto = 5,       // key missing, wrong key or password
  kExitIo = 6,           // the operating system failed an operation
  kExitBusy = 7,         // locked by PBS (backup, prune, GC) or another cairn
  kExitUnsupported = 8,  // valid but unsupported (e.g. datastore offline)
  kExitSkipped = 9,      // restore: some entries were refused or failed (listed on stderr)
};

int ExitCodeFor(ErrorKind kind);

inline constexpr char kExitCodeHelp[] =
    "Exit codes: 0 ok, 1 damage found by verify, 2 usage error, 3 not found, 4 corrupt data,\n"
    "5 key/password error, 6 I/O error, 7 locked (busy), 8 unsupported, 9 restore skipped entries.";

// --keyfile and --password-fd, added to every command that reads or writes backup data.
struct KeyOptions {
  std::string keyfile;
  int password_fd = -1;
  const CLI::Option* datastore = nullptr;  // the command's DATASTORE, for a configured keyfile
};
// REQUIRES: a command with a DATASTORE argument adds it before calling this.
void AddKeyOptions(CLI::App* cmd, KeyOptions& options);

// Loads the key named by --keyfile, else the keyfile configured for the command's datastore
// (cli/config.h), else returns nullptr. The password comes from
// PBS_ENCRYPTION_PASSWORD, --password-fd, or a prompt on the terminal, in that order.
std::unique_ptr<CryptConfig> LoadKey(const KeyOptions& options);

// PBS configuration locations; CAIRN_PBS_DATASTORE_CFG and CAIRN_PBS_RUN_DIR override the
// defaults (used by tests and for inspecting another host's configuration).
DatastoreOptions DatastoreOptionsFromEnvironment();

// Opens the datastore named on the command line: a datastore configured in cairn.conf, a
// directory, or a PBS datastore name (datastore.cfg), in that order.
Datastore OpenDatastore(const std::string& spec);

// --cache-size and --readahead, for every command that reads images or archives.
struct CacheOptions {
  std::string cache_size = "256M";
  size_t readahead = kDefaultReadahead;

  uint64_t budget() const;  // --cache-size in bytes; throws Error(kInvalidInput)
  // A cache whose budget bounds the whole process (ChunkCacheOptions::bound_process).
  ChunkCacheOptions chunk_cache() const { return {.budget = budget(), .bound_process = true}; }
};
void AddCacheOptions(CLI::App* cmd, CacheOptions& options);

// The cache's counters, as `cairn bench` prints them and `cairn -v mount`/`nbd` log them
// when they end.
nlohmann::json CacheStatsJson(const ChunkCacheStats& stats);

// "1.5 GiB"-style sizes for humans.
std::string HumanSize(uint64_t bytes);

// Parses "256M", "1G", "4096", "64KiB" into bytes; throws Error(kInvalidInput).
uint64_t ParseByteSize(const std::string& text);

}  // namespace cairn::cli
