// A directory of copy-on-write overlays (`cairn nbd --overlay DIR`): one overlay per image,
// its files named after the image's export name, the directory locked by one process at a
// time so that two servers never write the same overlay.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/overlay/overlay.h"
#include "core/util/file.h"

namespace cairn {

class OverlayDir {
 public:
  // Creates `dir` when absent and takes an exclusive lock on <dir>/.lock for the object's
  // lifetime. Throws Error kBusy when another process holds it.
  explicit OverlayDir(std::filesystem::path dir);

  const std::filesystem::path& path() const { return dir_; }

  // The overlay of `info.export_name`, opened or created on first use and then shared.
  // Thread-safe. Throws as Overlay::OpenOrCreate.
  std::shared_ptr<Overlay> Get(const OverlayInfo& info);
  // True when an overlay for `export_name` exists on disk.
  bool Exists(std::string_view export_name) const;
  // The stems of every overlay in the directory, sorted.
  std::vector<std::filesystem::path> List() const;

  // The file stem for an export name: bytes other than [A-Za-z0-9._-] become %XX (so '/'
  // cannot leave the directory and distinct names stay distinct), a leading '.' too; names
  // that would exceed 200 bytes keep a prefix and add the name's SHA-256.
  static std::string FileStem(std::string_view export_name);

 private:
  std::filesystem::path dir_;
  UniqueFd lock_;  // <dir>/.lock, flock(LOCK_EX)
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Overlay>> open_;  // by export name; guarded by mu_
};

}  // namespace cairn
