// Names of things in a datastore (spec §1.4–1.6): namespaces, backup groups and snapshots,
// their on-disk paths, and the path form users type: `[ns/A/ns/B/...]TYPE/ID[/TIME]`.
#pragma once

#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

enum class BackupType { kVm, kCt, kHost };

inline constexpr size_t kMaxNamespaceDepth = 7;
inline constexpr size_t kMaxNamespaceLength = 256;

std::string_view BackupTypeName(BackupType type);
std::optional<BackupType> ParseBackupType(std::string_view name);

// True for `[A-Za-z0-9_][A-Za-z0-9._-]*`: namespace components, backup ids, archive names.
bool IsSafeName(std::string_view name);

struct BackupNamespace {
  std::vector<std::string> components;  // empty for the root namespace

  bool IsRoot() const { return components.empty(); }
  std::string Name() const;                      // "a/b"; "" for the root
  std::filesystem::path RelativePath() const;    // "ns/a/ns/b"; "" for the root
  BackupNamespace Child(std::string name) const;
  auto operator<=>(const BackupNamespace&) const = default;
};

struct BackupGroup {
  BackupNamespace ns;
  BackupType type;
  std::string id;

  std::filesystem::path RelativePath() const;  // "ns/a/vm/100"
  std::string DisplayPath() const;             // same, as text
  auto operator<=>(const BackupGroup&) const = default;
};

struct Snapshot {
  BackupGroup group;
  int64_t time;  // epoch seconds

  std::string TimeString() const;              // "2024-05-01T10:00:00Z"
  std::filesystem::path RelativePath() const;  // "ns/a/vm/100/2024-05-01T10:00:00Z"
  std::string DisplayPath() const;
  auto operator<=>(const Snapshot&) const = default;
};

// A path as typed by a user, resolved against a datastore later. `time` may be "latest".
struct DatastorePath {
  BackupNamespace ns;
  std::optional<BackupType> type;
  std::optional<std::string> id;
  std::optional<std::string> time;
};

// Parses `[ns/A/ns/B/...][TYPE[/ID[/TIME|latest]]]`; a leading or trailing '/' is allowed.
// Throws Error(kInvalidInput) naming the bad component.
DatastorePath ParseDatastorePath(std::string_view text);

// Parses a logical namespace name "a/b/c" ("" is the root). Throws Error(kInvalidInput).
BackupNamespace ParseNamespaceName(std::string_view name);

// PBS's group order: types ct < host < vm, numeric ids numerically and before others.
bool GroupLess(const BackupGroup& a, const BackupGroup& b);

}  // namespace cairn
