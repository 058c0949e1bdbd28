// PBS's datastore configuration, /etc/proxmox-backup/datastore.cfg (spec §1.1), read so that
// users can name a datastore as PBS does (`cairn ls store1`) and so that we know the name
// PBS uses for a path, which its lock files are keyed by.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

inline constexpr char kDefaultDatastoreCfg[] = "/etc/proxmox-backup/datastore.cfg";

struct DatastoreConfigEntry {
  std::string name;
  std::filesystem::path path;    // absolute; for removable datastores the mount point
  std::string maintenance_mode;  // the mode type ("offline", "read-only", ...), or empty
  std::string backend_type;      // "filesystem" (default) or "s3"
};

// Parses the section-config text; unknown sections and properties are ignored, malformed
// lines skipped (PBS is the authority on this file; we only look things up).
std::vector<DatastoreConfigEntry> ParseDatastoreConfig(std::string_view text);

// Reads `cfg_path`; an absent or unreadable file yields an empty list.
std::vector<DatastoreConfigEntry> LoadDatastoreConfig(const std::filesystem::path& cfg_path);

}  // namespace cairn
