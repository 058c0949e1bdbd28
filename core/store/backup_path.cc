#include "core/store/backup_path.h"

#include <charconv>

#include "core/util/error.h"
#include "core/util/time.h"

namespace cairn {

std::string_view BackupTypeName(BackupType type) {
  switch (type) {
    case BackupType::kVm: return "vm";
    case BackupType::kCt: return "ct";
    case BackupType::kHost: return "host";
  }
  return "?";
}

std::optional<BackupType> ParseBackupType(std::string_view name) {
  if (name == "vm") return BackupType::kVm;
  if (name == "ct") return BackupType::kCt;
  if (name == "host") return BackupType::kHost;
  return std::nullopt;
}

bool IsSafeName(std::string_view name) {
  if (name.empty()) return false;
  auto alnum_ = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; };
  if (!alnum_(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!alnum_(c) && c != '.' && c != '-') return false;
  }
  return true;
}

std::string BackupNamespace::Name() const {
  std::string out;
  for (const std::string& c : components) {
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

std::filesystem::path BackupNamespace::RelativePath() const {
  std::filesystem::path p;
  for (const std::string& c : components) p = p / "ns" / c;
  return p;
}

BackupNamespace BackupNamespace::Child(std::string name) const {
  BackupNamespace child = *this;
  child.components.push_back(std::move(name));
  return child;
}

std::filesystem::path BackupGroup::RelativePath() const {
  return ns.RelativePath() / std::string(BackupTypeName(type)) / id;
}

std::string BackupGroup::DisplayPath() const { return RelativePath().string(); }

std::string Snapshot::TimeString() const { return FormatBackupTime(time); }

std::filesystem::path Snapshot::RelativePath() const { return group.RelativePath() / TimeString(); }

std::string Snapshot::DisplayPath() const { return RelativePath().string(); }

DatastorePath ParseDatastorePath(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t slash = text.find('/', pos);
    if (slash == std::string_view::npos) slash = text.size();
    std::string_view part = text.substr(pos, slash - pos);
    if (!part.empty()) parts.push_back(part);
    else if (pos != 0 && slash != text.size()) {
      throw Error(ErrorKind::kInvalidInput, "path '" + std::string(text) + "' contains an empty component");
    }
    pos = slash + 1;
  }
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kInvalidInput, "invalid datastore path '" + std::string(text) + "': " + why);
  };
  DatastorePath out;
  size_t i = 0;
  while (i < parts.size() && parts[i] == "ns") {
    if (i + 1 >= parts.size()) throw bad("'ns' must be followed by a namespace name");
    if (!IsSafeName(parts[i + 1])) throw bad("'" + std::string(parts[i + 1]) + "' is not a valid namespace name");
    out.ns.components.emplace_back(parts[i + 1]);
    i += 2;
  }
  if (out.ns.components.size() > kMaxNamespaceDepth) throw bad("namespaces nest at most 7 levels deep");
  if (out.ns.Name().size() > kMaxNamespaceLength) throw bad("namespace name is longer than 256 characters");
  if (i < parts.size()) {
    out.type = ParseBackupType(parts[i]);
    if (!out.type) throw bad("'" + std::string(parts[i]) + "' is not a backup type (vm, ct, host) or 'ns'");
    ++i;
  }
  if (i < parts.size()) {
    if (!IsSafeName(parts[i])) throw bad("'" + std::string(parts[i]) + "' is not a valid backup id");
    out.id = std::string(parts[i++]);
  }
  if (i < parts.size()) {
    if (parts[i] != "latest" && !ParseBackupTime(parts[i])) {
      throw bad("'" + std::string(parts[i]) + "' is not a backup time like 2024-05-01T10:00:00Z or 'latest'");
    }
    out.time = std::string(parts[i++]);
  }
  if (i < parts.size()) throw bad("unexpected '" + std::string(parts[i]) + "' after the snapshot");
  return out;
}

BackupNamespace ParseNamespaceName(std::string_view name) {
  BackupNamespace ns;
  while (!name.empty()) {
    size_t slash = std::min(name.find('/'), name.size());
    std::string_view part = name.substr(0, slash);
    if (!IsSafeName(part)) throw Error(ErrorKind::kInvalidInput, "'" + std::string(part) + "' is not a valid namespace name");
    ns.components.emplace_back(part);
    name.remove_prefix(std::min(slash + 1, name.size()));
  }
  if (ns.components.size() > kMaxNamespaceDepth) throw Error(ErrorKind::kInvalidInput, "namespaces nest at most 7 levels deep");
  if (ns.Name().size() > kMaxNamespaceLength) throw Error(ErrorKind::kInvalidInput, "namespace name is longer than 256 characters");
  return ns;
}

bool GroupLess(const BackupGroup& a, const BackupGroup& b) {
  if (a.ns != b.ns) return a.ns < b.ns;
  if (a.type != b.type) return BackupTypeName(a.type) < BackupTypeName(b.type);
  uint64_t na = 0, nb = 0;
  auto ra = std::from_chars(a.id.data(), a.id.data() + a.id.size(), na);
  auto rb = std::from_chars(b.id.data(), b.id.data() + b.id.size(), nb);
  bool a_num = ra.ec == std::errc() && ra.ptr == a.id.data() + a.id.size();
  bool b_num = rb.ec == std::errc() && rb.ptr == b.id.data() + b.id.size();
  if (a_num && b_num) return na != nb ? na < nb : a.id < b.id;
  if (a_num != b_num) return a_num;
  return a.id < b.id;
}

}  // namespace cairn
