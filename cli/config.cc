#include "cli/config.h"

#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/util/error.h"

namespace cairn::cli {
namespace {

// Set once by LoadConfiguredDatastores before any command runs; read-only afterwards.
std::map<std::string, ConfiguredDatastore, std::less<>>& Datastores() {
  static std::map<std::string, ConfiguredDatastore, std::less<>> datastores;
  return datastores;
}

// CLI11 splits values at commas and spaces; option lists and paths want them back.
std::string Joined(const std::vector<std::string>& inputs, const char* separator) {
  std::string out;
  for (const std::string& input : inputs) out += (out.empty() ? "" : separator) + input;
  return out;
}

}  // namespace

CLI::Option* AddConfigOption(CLI::App& app) {
  // CLI11 reads the file before it looks at environment variables, so $CAIRN_CONFIG becomes
  // the default here; naming a file that way makes it required, as --config does.
  const char* from_environment = std::getenv("CAIRN_CONFIG");
  bool named = from_environment != nullptr && *from_environment != '\0';
  CLI::Option* option = app.set_config("--config", named ? from_environment : kDefaultConfigPath,
                                       "configuration file (INI, see cairn.conf in the README; environment: CAIRN_CONFIG)",
                                       named);
  // [datastore.NAME] sections are ours, not CLI11's.
  app.allow_config_extras(CLI::config_extras_mode::ignore);
  return option;
}

void LoadConfiguredDatastores(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return;
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigINI().from_file(path);
  } catch (const CLI::Error& e) {
    throw Error(ErrorKind::kInvalidInput, "configuration file " + path + ": " + e.what());
  }
  auto& datastores = Datastores();
  for (const CLI::ConfigItem& item : items) {
    if (item.parents.size() != 2 || item.parents[0] != "datastore" || item.name == "++" || item.name == "--") continue;
    const std::string& name = item.parents[1];
    ConfiguredDatastore& ds = datastores[name];
    ds.name = name;
    if (item.name == "path") ds.path = Joined(item.inputs, " ");
    else if (item.name == "keyfile") ds.keyfile = Joined(item.inputs, " ");
    else if (item.name == "mountpoint") ds.mountpoint = Joined(item.inputs, " ");
    else if (item.name == "mount-options") ds.mount_options = Joined(item.inputs, ",");
    else {
      throw Error(ErrorKind::kInvalidInput, "configuration file " + path + ": unknown key '" + item.name +
                                                "' in [datastore." + name + "] (path, keyfile, mountpoint, mount-options)");
    }
  }
  for (const auto& [name, ds] : datastores) {
    if (ds.path.empty()) {
      throw Error(ErrorKind::kInvalidInput, "configuration file " + path + ": [datastore." + name + "] has no path");
    }
  }
}

const ConfiguredDatastore* FindConfiguredDatastore(std::string_view name) {
  auto it = Datastores().find(name);
  return it == Datastores().end() ? nullptr : &it->second;
}

}  // namespace cairn::cli
