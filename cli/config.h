// The configuration file, /etc/cairn/cairn.conf by default (--config FILE or $CAIRN_CONFIG
// name another). One INI file serves every command:
//
//   [mount]                      # defaults for `cairn mount`, keyed by long option name
//   cache-size = 1G
//   [nbd]
//   DATASTORE = backups          # positional arguments by their name in --help
//   listen = unix:/run/cairn/nbd.sock tcp:127.0.0.1:10809
//   [datastore.backups]          # a named datastore: `cairn ls backups`
//   path = /srv/backups          # required
//   keyfile = /etc/cairn/backups.key     # used when --keyfile is not given
//   mountpoint = /mnt/backups    # `cairn mount backups` (and cairn-mount@backups.service)
//   mount-options = allow_other  # prepended to -o of `cairn mount backups`
//
// Command-line flags override the file. The file is documented in cairn.conf(5) (README).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace cairn::cli {

inline constexpr char kDefaultConfigPath[] = "/etc/cairn/cairn.conf";

struct ConfiguredDatastore {
  std::string name;
  std::string path;
  std::string keyfile;        // empty: none
  std::string mountpoint;     // empty: none
  std::string mount_options;  // comma-separated, as after -o
};

// Adds --config to `app`. CLI11 then reads the [COMMAND] (and [COMMAND.SUBCOMMAND]) sections
// as defaults; a missing default file is fine, a missing named file is a usage error.
CLI::Option* AddConfigOption(CLI::App& app);

// Reads the [datastore.NAME] sections of `path` (nothing when it does not exist). Called
// once, before any command runs. Throws Error(kInvalidInput) for an unknown key or a
// datastore without a path.
void LoadConfiguredDatastores(const std::string& path);

// The datastore configured under `name`, or nullptr.
const ConfiguredDatastore* FindConfiguredDatastore(std::string_view name);

}  // namespace cairn::cli
