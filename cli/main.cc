// The `cairn` program: one subcommand per file (cmd_*.cc), registered here.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/util/log.h"

int main(int argc, char** argv) {
  using namespace cairn;
  CLI::App app{"cairn: use Proxmox Backup Server datastores without the server"};
  app.footer(cli::kExitCodeHelp);
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "print more diagnostics");
  app.add_flag("-q,--quiet", quiet, "print errors only");
  app.parse_complete_callback([&] { SetLogLevel(quiet ? LogLevel::kError : verbose ? LogLevel::kDebug : LogLevel::kWarning); });

  cli::CommandContext context{&quiet};
  cli::RegisterInitCommand(app, context);
  cli::RegisterLsCommand(app, context);
  cli::RegisterCatCommand(app, context);
  cli::RegisterVerifyCommand(app, context);
  cli::RegisterBackupCommand(app, context);
  cli::RegisterKeyCommand(app, context);
  cli::RegisterBenchCommand(app, context);
  cli::RegisterMountCommand(app, context);
  cli::RegisterNbdCommand(app, context);
  cli::RegisterOverlayCommand(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::kExitOk : cli::kExitUsage;
  } catch (const cli::ExitStatus& status) {
    return status.code;
  } catch (const Error& e) {
    Log(LogLevel::kError, e.what());
    return cli::ExitCodeFor(e.kind());
  } catch (const std::exception& e) {
    Log(LogLevel::kError, e.what());
    return cli::kExitIo;
  }
  return cli::kExitOk;
}
