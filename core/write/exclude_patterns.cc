#include "core/write/exclude_patterns.h"

#include <fnmatch.h>

namespace cairn {
namespace {

bool Glob(const std::string& glob, std::string_view text) {
  return ::fnmatch(glob.c_str(), std::string(text).c_str(), FNM_PATHNAME) == 0;
}

bool Matches(const ExcludePattern& p, std::string_view path, bool is_dir) {
  if (p.dir_only && !is_dir) return false;
  if (!p.base.empty()) {
    if (path.size() <= p.base.size() || path.substr(0, p.base.size()) != p.base || path[p.base.size()] != '/') {
      return false;
    }
    path = path.substr(p.base.size() + 1);
  }
  if (p.anchored) return Glob(p.glob, path);
  // Unanchored: the pattern may match the trailing components at any depth.
  for (size_t start = 0;;) {
    if (Glob(p.glob, path.substr(start))) return true;
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) return false;
    start = slash + 1;
  }
}

}  // namespace

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
