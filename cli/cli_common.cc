#include "cli/cli_common.h"

#include <cstdio>
#include <cstdlib>

#include "cli/config.h"
#include "cli/password.h"
#include "core/format/key_file.h"
#include "core/util/file.h"
#include "core/util/log.h"

namespace cairn::cli {

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound: return kExitNotFound;
    case ErrorKind::kCorrupt: return kExitCorrupt;
    case ErrorKind::kCrypto: return kExitCrypto;
    case ErrorKind::kIo: return kExitIo;
    case ErrorKind::kInvalidInput: return kExitUsage;
    case ErrorKind::kBusy: return kExitBusy;
    case ErrorKind::kUnsupported: return kExitUnsupported;
  }
  return kExitIo;
}

void AddKeyOptions(CLI::App* cmd, KeyOptions& options) {
  options.datastore = cmd->get_option_no_throw("DATASTORE");
  cmd->add_option("--keyfile", options.keyfile, "PBS key file (encryption-key.json) for encrypted backups");
  cmd->add_option("--password-fd", options.password_fd,
                  "read the key file's password from this file descriptor (else PBS_ENCRYPTION_PASSWORD or a prompt)");
}

namespace {

std::string KeyfileOf(const KeyOptions& options) {
  if (!options.keyfile.empty() || options.datastore == nullptr || options.datastore->count() == 0) return options.keyfile;
  const ConfiguredDatastore* configured = FindConfiguredDatastore(options.datastore->as<std::string>());
  return configured == nullptr ? "" : configured->keyfile;
}

}  // namespace

std::unique_ptr<CryptConfig> LoadKey(const KeyOptions& o) {
  KeyOptions options = o;
  options.keyfile = KeyfileOf(o);
  if (options.keyfile.empty()) return nullptr;
  Bytes text = ReadWholeFile(options.keyfile, 1 << 20);
  KeyFile key_file;
  try {
    key_file = KeyFile::Parse(AsChars(text));
  } catch (const Error& e) {
    throw e.WithContext("key file " + options.keyfile);
  }
  std::string password;
  if (key_file.needs_password()) password = ReadPassword("Encryption key password: ", options.password_fd, false);
  try {
    auto crypt = std::make_unique<CryptConfig>(key_file.Decrypt(password));
    Log(LogLevel::kInfo, "using encryption key " + FingerprintShort(crypt->fingerprint()));
    return crypt;
  } catch (const Error& e) {
    throw e.WithContext("key file " + options.keyfile);
  }
}

DatastoreOptions DatastoreOptionsFromEnvironment() {
  DatastoreOptions options;
  if (const char* cfg = std::getenv("CAIRN_PBS_DATASTORE_CFG")) options.datastore_cfg = cfg;
  if (const char* run = std::getenv("CAIRN_PBS_RUN_DIR")) options.pbs_run_dir = run;
  return options;
}

Datastore OpenDatastore(const std::string& spec) {
  const ConfiguredDatastore* configured = FindConfiguredDatastore(spec);
  return Datastore::Open(configured != nullptr ? configured->path : spec, DatastoreOptionsFromEnvironment());
}

nlohmann::json CacheStatsJson(const ChunkCacheStats& s) {
  return {{"budget", s.budget},
          {"peak_live_bytes", s.peak_live_bytes},
          {"hits", s.hits},
          {"misses", s.misses},
          {"prefetches", s.prefetches},
          {"prefetch_refused", s.prefetch_refused},
          {"prefetch_dropped", s.prefetch_dropped},
          {"fetches", s.fetches},
          {"decodes", s.decodes},
          {"failures", s.failures},
          {"evictions", s.evictions}};
}

void AddCacheOptions(CLI::App* cmd, CacheOptions& options) {
  cmd->add_option("--cache-size", options.cache_size, "memory budget, e.g. 256M, 2G: decoded chunks get what the rest of the process leaves (at least a quarter)")->capture_default_str();
  cmd->add_option("--readahead", options.readahead, "chunks fetched ahead of a sequential reader, and of a mount listing a file archive's directory (0: none)")
      ->capture_default_str();
}

uint64_t CacheOptions::budget() const { return ParseByteSize(cache_size); }

std::string HumanSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

uint64_t ParseByteSize(const std::string& text) {
  size_t pos = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &pos);
  } catch (...) {
    throw Error(ErrorKind::kInvalidInput, "'" + text + "' is not a size (examples: 4096, 64K, 256M, 1G)");
  }
  std::string unit = text.substr(pos);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() == 2 && unit[1] == 'i') unit.pop_back();
  uint64_t multiplier = 1;
  if (unit.empty()) multiplier = 1;
  else if (unit == "K" || unit == "k") multiplier = 1ull << 10;
  else if (unit == "M" || unit == "m") multiplier = 1ull << 20;
  else if (unit == "G" || unit == "g") multiplier = 1ull << 30;
  else if (unit == "T" || unit == "t") multiplier = 1ull << 40;
  else throw Error(ErrorKind::kInvalidInput, "'" + text + "' has an unknown size unit (use K, M, G or T)");
  if (value > UINT64_MAX / multiplier) throw Error(ErrorKind::kInvalidInput, "size '" + text + "' is too large");
  return value * multiplier;
}

}  // namespace cairn::cli
