// The `cairn` program: one subcommand per file (cmd_*.cc), registered here. Installed as
// `mount.cairn` too, the helper mount(8) runs for `-t cairn` (cli/mount_helper.h).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/man_page.h"
#include "cli/mount_helper.h"
#include "cli/systemd.h"
#include "core/util/file.h"
#include "core/util/log.h"

namespace {

// `cairn ARGS...` for the way we were called: as mount.cairn, the mount(8) arguments
// translated; else as given. Empty when a mount helper has nothing to do (-f).
std::vector<std::string> CairnArguments(int argc, char** argv) {
  std::vector<std::string> arguments(argv + 1, argv + argc);
  if (std::filesystem::path(argv[0]).filename() != cairn::cli::kMountHelperName) return arguments;
  return cairn::cli::CairnArgumentsForMountHelper(arguments);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cairn;
  if (cli::StderrIsJournal()) SetLogFormat(LogFormat::kJournal);
  CLI::App app{"Use Proxmox Backup Server datastores without the server", "cairn"};
  app.footer(cli::kExitCodeHelp);
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "print more diagnostics");
  app.add_flag("-q,--quiet", quiet, "print errors only");
  CLI::Option* config = cli::AddConfigOption(app);
  app.parse_complete_callback([&] {
    SetLogLevel(quiet ? LogLevel::kError : verbose ? LogLevel::kDebug : LogLevel::kWarning);
    cli::LoadConfiguredDatastores(config->as<std::string>());
  });

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
  cli::RegisterRestoreCommand(app, context);
  cli::RegisterOverlayCommand(app, context);

  try {
    std::vector<std::string> arguments = CairnArguments(argc, argv);
    if (arguments.empty() && argc > 1) return cli::kExitOk;  // mount.cairn -f: a fake mount
    // For the build (CMakeLists.txt), not for users: they need no subcommand, so they run
    // before the command line is checked.
    for (size_t i = 0; i + 1 < arguments.size(); ++i) {
      if (arguments[i] == "--generate-man") {
        cli::WriteManPages(app, arguments[i + 1]);
        return cli::kExitOk;
      }
      if (arguments[i] == "--generate-bash-completion") {
        WriteFileAtomic(arguments[i + 1], AsBytes(cli::BashCompletion(app)));
        return cli::kExitOk;
      }
    }
    std::reverse(arguments.begin(), arguments.end());  // CLI11 takes them last first
    app.parse(arguments);
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
