#include "cli/mount_helper.h"

#include <array>
#include <sstream>

#include "core/util/error.h"

namespace cairn::cli {
namespace {

// Options for mount(8), fstab and systemd's generator, not for the filesystem. Generic VFS
// flags are dropped as well: FUSE mounts of cairn are always nodev, nosuid and read-only.
constexpr std::array<std::string_view, 22> kMountOnlyOptions = {
    "defaults", "auto",   "noauto", "user",  "users",   "nouser",  "owner",   "group",
    "_netdev",  "nofail", "exec",   "noexec", "suid",   "nosuid",  "dev",     "nodev",
    "atime",    "noatime", "relatime", "nodiratime", "lazytime", "sync"};

bool MountOnlyOption(std::string_view option) {
  if (option.starts_with("x-") || option.starts_with("comment=")) return true;
  for (std::string_view known : kMountOnlyOptions) {
    if (option == known) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> CairnArgumentsForMountHelper(const std::vector<std::string>& arguments) {
  std::vector<std::string> positional;
  std::vector<std::string> kept;
  bool fake = false, verbose = false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument == "-o" || argument == "-N" || argument == "-t") {
      if (i + 1 == arguments.size()) throw Error(ErrorKind::kInvalidInput, "mount.cairn: " + argument + " needs a value");
      const std::string& value = arguments[++i];
      if (argument != "-o") continue;  // the namespace and type are mount(8)'s business
      std::stringstream items(value);
      std::string item;
      while (std::getline(items, item, ',')) {
        if (item == "rw") throw Error(ErrorKind::kInvalidInput, "mount.cairn: cairn mounts are read-only; remove 'rw'");
        if (!item.empty() && !MountOnlyOption(item)) kept.push_back(item);
      }
    } else if (argument.size() > 1 && argument[0] == '-') {
      for (char flag : argument.substr(1)) {
        if (flag == 'f') fake = true;
        else if (flag == 'v') verbose = true;
        else if (flag != 's' && flag != 'n') {
          throw Error(ErrorKind::kInvalidInput, std::string("mount.cairn: unknown flag -") + flag);
        }
      }
    } else {
      positional.push_back(argument);
    }
  }
  if (positional.size() != 2) throw Error(ErrorKind::kInvalidInput, "usage: mount.cairn DATASTORE MOUNTPOINT [-sfnv] [-o OPTIONS]");
  if (fake) return {};
  std::vector<std::string> result;
  if (verbose) result.push_back("--verbose");
  result.insert(result.end(), {"mount", positional[0], positional[1]});
  if (!kept.empty()) {
    std::string list;
    for (const std::string& item : kept) list += (list.empty() ? "" : ",") + item;
    result.insert(result.end(), {"-o", list});
  }
  return result;
}

}  // namespace cairn::cli
