// Backs up a directory tree as a pxar archive (format version 1, `<name>.didx`, spec
// pxar-format.md §9; or split, version 2: `<stem>.mpxar.didx` + `<stem>.ppxar.didx`) chunked
// with the PBS dynamic chunker, and records a v1 tree in the snapshot catalog, as
// proxmox-backup-client does: children sorted by name bytes, hardlinks
// for files with more than one link, other file systems below the root kept as empty
// directories, `.pxarexclude` files and `--exclude` patterns honoured (and the latter
// stored as `.pxarexclude-cli` in the root, or in the PRELUDE of a split archive).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/format/catalog_writer.h"
#include "core/write/snapshot_writer.h"

namespace cairn {

struct DirBackupStats {
  uint64_t entries = 0;  // entries archived
  uint64_t bytes = 0;    // file content bytes archived
  uint64_t vanished = 0; // entries that disappeared while being read (skipped)
};

struct DirBackupOptions {
  std::vector<std::string> excludes;  // patterns as for ExcludeList, relative to the root
  bool split = false;                 // format version 2 (no catalog entry then)
  // Called after every file with the totals so far.
  std::function<void(const DirBackupStats&)> progress;
};

// Encodes `source` into `<archive_name>.didx` of `writer` (archive_name like "root.pxar")
// and adds its tree to `catalog` as directory "<archive_name>.didx" (catalog may be null).
// Throws Error: kInvalidInput when `source` is not a directory, kIo for read failures.
DirBackupStats BackupDirectory(SnapshotWriter& writer, const std::string& archive_name,
                               const std::filesystem::path& source, CatalogWriter* catalog,
                               const DirBackupOptions& options);

}  // namespace cairn
