#include "core/write/exclude_patterns.h"

#include <fnmatch.h>

#include <algorithm>
#include <vector>

namespace cairn {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  for (;;) {
    size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    path = path.substr(slash + 1);
  }
}

bool Matches(const ExcludePattern& p, std::string_view path, bool is_dir) {
  if (p.dir_only && !is_dir) return false;
  if (!p.base.empty()) {
    if (path.size() <= p.base.size() || path.substr(0, p.base.size()) != p.base || path[p.base.size()] != '/') {
      return false;
    }
    path = path.substr(p.base.size() + 1);
  }
  // Unanchored: the pattern may match the trailing components at any depth.
  return GlobMatchesPath(p.anchored ? p.glob : "**/" + p.glob, path);
}

}  // namespace

bool GlobMatchesPath(std::string_view glob, std::string_view path) {
  const std::vector<std::string> pattern = Split(glob);
  const std::vector<std::string> names = Split(path);
  // reached[i]: the pattern components so far can match exactly names[0, i).
  std::vector<char> reached(names.size() + 1, 0), next(names.size() + 1);
  reached[0] = 1;
  for (const std::string& component : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (component == "**") {
      bool any = false;
      for (size_t i = 0; i <= names.size(); ++i) next[i] = any = any || reached[i];
    } else {
      for (size_t i = 0; i < names.size(); ++i) {
        if (reached[i] && ::fnmatch(component.c_str(), names[i].c_str(), 0) == 0) next[i + 1] = 1;
      }
    }
    reached.swap(next);
  }
  return reached[names.size()] != 0;
}

void ExcludeList::AddLines(std::string_view text, const std::string& base) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    Add(text.substr(0, nl), base);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
}

void ExcludeList::Add(std::string_view line, const std::string& base) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return;
  ExcludePattern p;
  p.base = base;
  if (line.front() == '!') {
    p.include = true;
    line.remove_prefix(1);
  }
  if (!line.empty() && line.front() == '/') {
    p.anchored = true;
    line.remove_prefix(1);
  }
  if (!line.empty() && line.back() == '/') {
    p.dir_only = true;
    line.remove_suffix(1);
  }
  if (line.empty()) return;
  if (line.find('/') != std::string_view::npos) p.anchored = true;
  p.glob = std::string(line);
  patterns_.push_back(std::move(p));
}

bool ExcludeList::Excluded(std::string_view path, bool is_dir) const {
  for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
    if (Matches(*it, path, is_dir)) return !it->include;
  }
  return false;
}

}  // namespace cairn
