// Exclusion patterns for directory backups, as PBS reads them from `--exclude` and from
// `.pxarexclude` files (one pattern per line): shell globs (fnmatch) per path component,
// a component `**` matching any number (also none) of components as in PBS's pathpatterns,
// `!` to re-include, a leading `/` anchors the pattern at the directory the pattern list
// belongs to, a trailing `/` matches directories only, patterns without `/` match a name at
// any depth, `#` starts a comment line. The last matching pattern decides. Restore uses the
// same syntax for --include and --exclude.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn {

struct ExcludePattern {
  std::string glob;       // without the '!', the leading and trailing '/'
  bool include = false;   // '!' prefix
  bool anchored = false;  // leading '/' or a '/' inside
  bool dir_only = false;  // trailing '/'
  std::string base;       // path (relative to the backup root, "" for it) the pattern is relative to
};

// Whether `path` ('/'-separated components, no leading '/') matches `glob` component by
// component: `*`, `?` and `[...]` within one component (fnmatch), `**` as a whole component
// for any number of components. Linear in pattern × path components, whatever the pattern.
bool GlobMatchesPath(std::string_view glob, std::string_view path);

class ExcludeList {
 public:
  // Adds the patterns of `text` (lines) relative to `base`. Empty and comment lines are skipped.
  void AddLines(std::string_view text, const std::string& base);
  void Add(std::string_view line, const std::string& base);

  // Whether `path` (relative to the backup root, no leading '/') is excluded.
  bool Excluded(std::string_view path, bool is_dir) const;

  // Number of patterns; Truncate(n) drops the ones added after size() was n (leaving a
  // directory drops its .pxarexclude patterns).
  size_t size() const { return patterns_.size(); }
  void Truncate(size_t n) { patterns_.resize(n); }

 private:
  std::vector<ExcludePattern> patterns_;  // in order of precedence, last wins
};

}  // namespace cairn
