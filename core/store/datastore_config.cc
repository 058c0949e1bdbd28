#include "core/store/datastore_config.h"

#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "type=offline,message=..." -> "offline"; a bare "offline" is accepted too.
std::string PropertyType(std::string_view value) {
  size_t pos = value.find("type=");
  std::string_view v = pos == std::string_view::npos ? value : value.substr(pos + 5);
  return std::string(v.substr(0, v.find(',')));
}

}  // namespace

std::vector<DatastoreConfigEntry> ParseDatastoreConfig(std::string_view text) {
  std::vector<DatastoreConfigEntry> out;
  bool in_datastore = false;
  bool removable = false;
  auto finish = [&] {
    if (in_datastore && removable) out.back().path = std::filesystem::path("/mnt/datastore") / out.back().name;
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (Trim(line).empty() || Trim(line).front() == '#') continue;
    if (line.front() != ' ' && line.front() != '\t') {
      finish();
      size_t colon = line.find(':');
      in_datastore = colon != std::string_view::npos && Trim(line.substr(0, colon)) == "datastore";
      removable = false;
      if (in_datastore) out.push_back({std::string(Trim(line.substr(colon + 1))), {}, {}, "filesystem"});
      continue;
    }
    if (!in_datastore) continue;
    line = Trim(line);
    size_t space = line.find_first_of(" \t");
    std::string_view key = line.substr(0, space);
    std::string_view value = space == std::string_view::npos ? std::string_view() : Trim(line.substr(space));
    DatastoreConfigEntry& entry = out.back();
    if (key == "path") entry.path = std::string(value);
    else if (key == "maintenance-mode") entry.maintenance_mode = PropertyType(value);
    else if (key == "backend") entry.backend_type = PropertyType(value);
    else if (key == "backing-device") removable = true;
  }
  finish();
  return out;
}

std::vector<DatastoreConfigEntry> LoadDatastoreConfig(const std::filesystem::path& cfg_path) {
  try {
    Bytes text = ReadWholeFile(cfg_path, 16 << 20);
    return ParseDatastoreConfig(AsChars(text));
  } catch (const Error&) {
    return {};
  }
}

}  // namespace cairn
