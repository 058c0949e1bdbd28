// cairn nbd DATASTORE: serve the datastore's images as NBD exports (nbd/, issue 5).
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/systemd.h"
#include "core/cache/chunk_cache.h"
#include "core/util/log.h"
#include "nbd/datastore_exports.h"
#include "nbd/server.h"

namespace cairn::cli {
namespace {

struct NbdOptions {
  std::string datastore;
  std::vector<std::string> listen;
  std::vector<std::string> exports;
  std::string default_export;
  CacheOptions cache;
  KeyOptions key;
};

// Without --listen: a unix socket only, in the user's runtime directory.
std::string DefaultListen() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && *runtime != '\0') return std::string("unix:") + runtime + "/cairn-nbd.sock";
  if (geteuid() == 0) return "unix:/run/cairn-nbd.sock";
  return "unix:/tmp/cairn-nbd-" + std::to_string(geteuid()) + ".sock";
}

void RunNbd(const NbdOptions& o, const CommandContext& context) {
  // Socket activation replaces the default listener; --listen adds to it.
  std::vector<int> activated = TakeActivationSockets();
  std::vector<std::string> listen = o.listen;
  if (listen.empty() && activated.empty()) listen.push_back(DefaultListen());
  std::vector<nbd::ListenAddress> addresses;
  for (const std::string& text : listen) {
    addresses.push_back(nbd::ParseListenAddress(text));
  }
  // Destroyed in reverse order: the server before the exports it serves, the exports before
  // the cache their readers use, the cache before the key its fetches may still use.
  Datastore ds = OpenDatastore(o.datastore);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  ChunkCache cache(ChunkCacheOptions{.budget = o.cache.budget()});
  nbd::DatastoreExportOptions export_options{o.exports, ReadOptions{o.cache.readahead}};
  nbd::ExportList exports(nbd::ListDatastoreExports(ds, crypt.get(), cache, export_options),
                          o.default_export.empty() ? std::nullopt : std::optional<std::string>(o.default_export));
  if (exports.all().empty()) Log(LogLevel::kWarning, "no image archives to serve in " + ds.root().string());

  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error on its socket only
  nbd::Server server(exports, nbd::ServerOptions{});
  for (const nbd::ListenAddress& address : addresses) server.Listen(address);
  for (int fd : activated) server.Adopt(fd);
  std::string status = "serving " + std::to_string(exports.all().size()) + " exports";
  for (const nbd::ListenAddress& address : addresses) status += " on " + address.Uri();
  if (!activated.empty()) status += " on " + std::to_string(activated.size()) + " socket(s) from systemd";
  if (!*context.quiet) std::cout << status << std::endl;
  NotifyReady(status);
  server.Run();
}

}  // namespace

void RegisterNbdCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<NbdOptions>();
  CLI::App* cmd = app.add_subcommand("nbd", "Serve the datastore's images read-only over NBD");
  cmd->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("--listen", o->listen,
                  "unix:PATH or tcp:HOST:PORT, repeatable (default: the sockets systemd passed, else a unix socket in "
                  "$XDG_RUNTIME_DIR or /run)");
  cmd->add_option("--export", o->exports,
                  "serve only exports whose name matches this glob ('*' also matches '/'), repeatable");
  cmd->add_option("--default-export", o->default_export,
                  "the export an empty name selects (default: the only image, when there is one)");
  AddCacheOptions(cmd, o->cache);
  AddKeyOptions(cmd, o->key);
  cmd->footer(std::string("Export names: [ns/A/...]TYPE/ID/TIME/ARCHIVE and [ns/A/...]TYPE/ID/latest/ARCHIVE, e.g.\n"
                          "nbdinfo 'nbd+unix:///vm/100/latest/drive-scsi0.img?socket=PATH'.\n") +
              kExitCodeHelp);
  cmd->callback([o, &context] { RunNbd(*o, context); });
}

}  // namespace cairn::cli
