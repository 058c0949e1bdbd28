// Creating an empty datastore (spec §1.2), as `proxmox-backup-manager datastore create` lays
// it out: `.chunks` with all 65536 prefix directories and the `.lock` file.
#pragma once

#include <filesystem>

namespace cairn {

// Creates the datastore at `root` (the directory may exist but must be empty). Files are
// owned by the `backup` user when we run as root and that user exists. Throws Error.
void InitDatastore(const std::filesystem::path& root);

}  // namespace cairn
