// cairn init DIR: create an empty datastore.
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/write/datastore_init.h"

namespace cairn::cli {

void RegisterInitCommand(CLI::App& app, CommandContext&) {
  CLI::App* cmd = app.add_subcommand("init", "Create an empty datastore (.chunks with 65536 prefix directories, .lock)");
  cmd->footer(kExitCodeHelp);
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "directory to create (may exist if empty)")->required();
  cmd->callback([dir] {
    InitDatastore(*dir);
    std::cout << "created datastore " << *dir << "\n";
  });
}

}  // namespace cairn::cli
