// `mount.cairn`: the helper mount(8) runs for `mount -t cairn` and for fstab lines such as
//   /srv/backups  /mnt/backups  cairn  ro,allow_other,keyfile=/etc/cairn/key.json  0 0
// mount(8) calls `mount.cairn SPEC DIR [-sfnv] [-N NS] [-o OPTIONS]`; the installed
// `mount.cairn` is a link to `cairn`, which turns that into `cairn mount SPEC DIR -o ...`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::cli {

inline constexpr char kMountHelperName[] = "mount.cairn";

// The arguments of the equivalent `cairn` command line (without the program name), from a
// mount helper's `arguments` (without the program name). Options that only mean something
// to mount(8) or systemd (defaults, noauto, nofail, _netdev, user, x-*, ...) are dropped;
// `rw` is refused. `-f` (fake) yields {}: nothing to do. Throws Error(kInvalidInput).
std::vector<std::string> CairnArgumentsForMountHelper(const std::vector<std::string>& arguments);

}  // namespace cairn::cli
