// cairn verify DATASTORE [PATH]: check every chunk of every index; exit 1 listing damage.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/util/hex.h"
#include "core/verify/datastore_verifier.h"

namespace cairn::cli {
namespace {

struct VerifyOptions {
  std::string datastore;
  std::string path;
  KeyOptions key;
  CacheOptions cache;  // here: memory and concurrency of the chunk checks
  bool json = false;
};

void PrintReport(const VerifyReport& r, bool json) {
  if (json) {
    nlohmann::json j = {{"ok", r.ok()},           {"snapshots", r.snapshots}, {"archives", r.archives},
                        {"chunks", r.chunks},     {"chunk-bytes", r.chunk_bytes},
                        {"errors", r.errors},     {"failed-snapshots", r.failed_snapshots},
                        {"bad-chunks", nlohmann::json::array()}};
    for (const auto& [digest, bad] : r.bad_chunks) {
      j["bad-chunks"].push_back({{"digest", ToHex(digest)}, {"error", bad.error}, {"affected", bad.affected}});
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "verified " << r.snapshots << " snapshots, " << r.archives << " archives, " << r.chunks << " chunks ("
            << HumanSize(r.chunk_bytes) << ")\n";
  for (const std::string& e : r.errors) std::cout << "ERROR " << e << "\n";
  for (const auto& [digest, bad] : r.bad_chunks) {
    std::cout << "BAD CHUNK " << ToHex(digest) << ": " << bad.error << "\n";
    for (const std::string& a : bad.affected) std::cout << "  used by " << a << "\n";
  }
  if (!r.failed_snapshots.empty()) {
    std::cout << r.failed_snapshots.size() << " damaged snapshots:\n";
    for (const std::string& s : r.failed_snapshots) std::cout << "  " << s << "\n";
  } else {
    std::cout << "all OK\n";
  }
}

void RunVerify(const VerifyOptions& o, const CommandContext& context) {
  Datastore ds = OpenDatastore(o.datastore);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  DatastorePath path = ParseDatastorePath(o.path);
  Progress progress("verify", 0, !*context.quiet && !o.json);
  // Each chunk in flight holds up to twice the largest chunk (encoded and decoded).
  constexpr uint64_t kMemoryPerChunk = 2 * (4 << 20);
  size_t in_flight = std::min<uint64_t>(o.cache.readahead, std::max<uint64_t>(1, o.cache.budget() / kMemoryPerChunk));
  DatastoreVerifier verifier(ds, crypt.get(), [&](uint64_t done) { progress.Update(done); }, in_flight);
  if (!path.type) {
    if (!path.ns.IsRoot() && !ds.NamespaceExists(path.ns)) {
      throw Error(ErrorKind::kNotFound, "namespace '" + path.ns.Name() + "' does not exist");
    }
    verifier.VerifyNamespace(path.ns, true);
  } else if (!path.id) {
    throw Error(ErrorKind::kInvalidInput, "PATH must name a namespace, a group (TYPE/ID) or a snapshot");
  } else if (!path.time) {
    verifier.VerifyGroup(BackupGroup{path.ns, *path.type, *path.id});
  } else {
    verifier.VerifySnapshot(ds.ResolveSnapshot(path));
  }
  PrintReport(verifier.report(), o.json);
  if (!verifier.report().ok()) throw ExitStatus{kExitDamage};
}

}  // namespace

void RegisterVerifyCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand("verify", "Check every chunk of every index (digest, CRC, decode); exit 1 on damage");
  cmd->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("PATH", o->path, "[ns/NS/...][TYPE/ID[/TIME|latest]] (default: everything)");
  cmd->add_flag("--json", o->json, "print the report as JSON");
  AddKeyOptions(cmd, o->key);
  cmd->add_option("--cache-size", o->cache.cache_size, "memory for chunks being checked, e.g. 256M")->capture_default_str();
  cmd->add_option("--readahead", o->cache.readahead, "chunks fetched and checked at once (0 or 1: one at a time)")
      ->capture_default_str();
  cmd->footer(kExitCodeHelp);
  cmd->callback([o, &context] { RunVerify(*o, context); });
}

}  // namespace cairn::cli
