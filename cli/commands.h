// Registration of every subcommand; each lives in its own cmd_<name>.cc.
#pragma once

#include <CLI/CLI.hpp>

namespace cairn::cli {

// State shared by all commands, owned by main().
struct CommandContext {
  const bool* quiet;  // --quiet: no progress output
};

// Thrown by a command to end with a specific exit code after it printed its own report
// (e.g. verify finding damage).
struct ExitStatus {
  int code;
};

void RegisterInitCommand(CLI::App& app, CommandContext& context);
void RegisterLsCommand(CLI::App& app, CommandContext& context);
void RegisterCatCommand(CLI::App& app, CommandContext& context);
void RegisterVerifyCommand(CLI::App& app, CommandContext& context);
void RegisterBackupCommand(CLI::App& app, CommandContext& context);
void RegisterKeyCommand(CLI::App& app, CommandContext& context);
void RegisterBenchCommand(CLI::App& app, CommandContext& context);
void RegisterMountCommand(CLI::App& app, CommandContext& context);
void RegisterNbdCommand(CLI::App& app, CommandContext& context);
void RegisterRestoreCommand(CLI::App& app, CommandContext& context);
void RegisterOverlayCommand(CLI::App& app, CommandContext& context);

}  // namespace cairn::cli
