// cairn nbd DATASTORE: serve the datastore's images as NBD exports (nbd/, issue 5).
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/systemd.h"
#include "core/cache/chunk_cache.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "nbd/datastore_exports.h"
#include "nbd/overlay_exports.h"
#include "nbd/server.h"

namespace cairn::cli {
namespace {

struct NbdOptions {
  std::string datastore;
  std::vector<std::string> listen;
  std::vector<std::string> exports;
  std::string default_export;
  std::string overlay;
  double refresh_interval = 5;
  std::string tls_mode;  // require, allow, off; empty: require with a certificate, else off
  std::string tls_cert, tls_key, tls_ca;
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

// --tls and the credentials, checked for consistency; the files are loaded by the server.
nbd::TlsOptions TlsOptionsOf(const NbdOptions& o) {
  nbd::TlsOptions tls{nbd::TlsMode::kOff, o.tls_cert, o.tls_key, o.tls_ca};
  if (o.tls_mode == "require" || (o.tls_mode.empty() && !o.tls_cert.empty())) tls.mode = nbd::TlsMode::kRequire;
  if (o.tls_mode == "allow") tls.mode = nbd::TlsMode::kAllow;
  if (tls.mode == nbd::TlsMode::kOff) {
    // Credentials without a certificate would silently serve in clear text.
    if (o.tls_mode.empty() && (!o.tls_key.empty() || !o.tls_ca.empty())) {
      throw Error(ErrorKind::kInvalidInput, "--tls-key and --tls-ca need --tls-cert");
    }
    return tls;
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) {
    throw Error(ErrorKind::kInvalidInput, "--tls " + std::string(tls.mode == nbd::TlsMode::kAllow ? "allow" : "require") +
                                              " needs --tls-cert and --tls-key");
  }
  return tls;
}

void RunNbd(const NbdOptions& o, const CommandContext& context) {
  const nbd::TlsOptions tls = TlsOptionsOf(o);
  // Socket activation replaces the default listener; --listen adds to it.
  std::vector<int> activated = TakeActivationSockets();
  std::vector<std::string> listen = o.listen;
  if (listen.empty() && activated.empty()) listen.push_back(DefaultListen());
  std::vector<nbd::ListenAddress> addresses;
  for (const std::string& text : listen) {
    addresses.push_back(nbd::ParseListenAddress(text));
  }
  // Destroyed in reverse order: the server before the exports it serves, the exports before
  // the overlays and the cache their sources use, the cache before the key its fetches may
  // still use.
  Datastore ds = OpenDatastore(o.datastore);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  ChunkCache cache(o.cache.chunk_cache());
  nbd::DatastoreExportOptions export_options{o.exports, ReadOptions{o.cache.readahead}};
  std::optional<OverlayDir> overlays;  // locked for as long as the server runs
  if (!o.overlay.empty()) overlays.emplace(o.overlay);
  const std::string root = std::filesystem::absolute(ds.root()).string();
  auto list = [&]() {
    std::vector<nbd::Export> exports = nbd::ListDatastoreExports(ds, crypt.get(), cache, export_options);
    if (overlays) exports = nbd::WithOverlays(std::move(exports), *overlays, root);
    return exports;
  };
  const auto max_age = o.refresh_interval < 0 ? nbd::ExportCatalog::Clock::duration::max()
                                              : std::chrono::duration_cast<nbd::ExportCatalog::Clock::duration>(
                                                    std::chrono::duration<double>(o.refresh_interval));
  nbd::ExportCatalog exports(list, o.default_export.empty() ? std::nullopt : std::optional<std::string>(o.default_export),
                             max_age);
  const size_t count = exports.Peek()->all().size();
  if (count == 0) Log(LogLevel::kWarning, "no image archives to serve in " + ds.root().string());

  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error on its socket only
  nbd::Server server(exports, nbd::ServerOptions{.tls = tls});
  for (const nbd::ListenAddress& address : addresses) server.Listen(address);
  for (int fd : activated) server.Adopt(fd);
  std::string status = "serving " + std::to_string(count) + " exports";
  for (const nbd::ListenAddress& address : addresses) status += " on " + address.Uri();
  if (!activated.empty()) status += " on " + std::to_string(activated.size()) + " socket(s) from systemd";
  if (tls.mode != nbd::TlsMode::kOff) status += tls.mode == nbd::TlsMode::kRequire ? " (TLS required)" : " (TLS allowed)";
  if (!*context.quiet) std::cout << status << std::endl;
  NotifyReady(status);
  server.Run();
  Log(LogLevel::kDebug, "chunk cache at exit: " + CacheStatsJson(cache.stats()).dump());
}

}  // namespace

void RegisterNbdCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<NbdOptions>();
  CLI::App* cmd = app.add_subcommand("nbd", "Serve the datastore's images over NBD (read-only, or writable with --overlay)");
  cmd->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("--listen", o->listen,
                  "unix:PATH or tcp:HOST:PORT, repeatable (default: the sockets systemd passed, else a unix socket in "
                  "$XDG_RUNTIME_DIR or /run)");
  cmd->add_option("--export", o->exports,
                  "serve only exports whose name matches this glob ('*' also matches '/'), repeatable");
  cmd->add_option("--default-export", o->default_export,
                  "the export an empty name selects (default: the only image, when there is one)");
  cmd->add_option("--overlay", o->overlay,
                  "make the exports writable: writes go to copy-on-write overlays in this directory (one per\n"
                  "image, kept across restarts; the datastore is never written; see `cairn overlay export`)");
  cmd->add_option("--refresh-interval", o->refresh_interval,
                  "relist the datastore's images when a client asks for exports and the list is older than\n"
                  "this many seconds (new snapshots appear without a restart); negative: never")
      ->capture_default_str();
  cmd->add_option("--tls", o->tls_mode,
                  "require: clients must start TLS (STARTTLS, nbds:// URIs) before anything else; allow: TLS\n"
                  "and plain clients; off: no TLS (default: require when --tls-cert is given, else off)")
      ->check(CLI::IsMember({"require", "allow", "off"}));
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate (chain) of the server, for TLS");
  cmd->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--tls-ca", o->tls_ca,
                  "PEM CA certificate(s): TLS clients must present a certificate signed by one of them");
  AddCacheOptions(cmd, o->cache);
  AddKeyOptions(cmd, o->key);
  cmd->footer(std::string("Export names: [ns/A/...]TYPE/ID/TIME/ARCHIVE and [ns/A/...]TYPE/ID/latest/ARCHIVE, e.g.\n"
                          "nbdinfo 'nbd+unix:///vm/100/latest/drive-scsi0.img?socket=PATH'.\n") +
              kExitCodeHelp);
  cmd->callback([o, &context] { RunNbd(*o, context); });
}

}  // namespace cairn::cli
