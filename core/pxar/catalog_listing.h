// Directory listings of a v1 pxar archive answered by the snapshot catalog (spec
// pbs-datastore-format §8): names and kinds come from the catalog's compact block, the
// entries' offsets from the directory's goodbye table, so no child entry of the archive is
// decoded (in a unified archive the children sit between file contents, spread over many
// chunks). Every catalog name must hash to exactly one goodbye record and the counts must be
// equal; otherwise the catalog does not describe this directory and the caller lists the
// archive instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/format/catalog.h"
#include "core/pxar/accessor.h"

namespace cairn::pxar {

struct CatalogChild {
  std::string name;
  CatalogEntryType type;
  uint64_t entry_start;  // offset of the child's ENTRY item (kHardlink: of its HARDLINK item)
};

// The catalog block of the directory at `path` ("" for the root, '/'-separated) of the
// archive the catalog names `archive_file` (e.g. "root.pxar.didx"), or nullopt when the
// catalog has no such directory. Throws Error(kCorrupt) for a damaged catalog.
std::optional<uint64_t> FindCatalogDirectory(const Catalog& catalog, std::string_view archive_file,
                                             std::string_view path);

// Whether the catalog lists any hardlink in the archive `archive_file`, or does not list the
// archive at all (then nobody knows). Reads the archive's whole subtree of the catalog once,
// much less than the archive. Throws Error(kCorrupt) for a damaged catalog.
bool MayHaveHardlinks(const Catalog& catalog, std::string_view archive_file);

// The children of `dir` (read from `accessor`) as catalog block `block` lists them, in
// archive order, or nullopt when the block and the table disagree. Throws Error(kCorrupt)
// for a damaged catalog or goodbye table.
std::optional<std::vector<CatalogChild>> ListFromCatalog(const Catalog& catalog, uint64_t block,
                                                         const Accessor& accessor, const Entry& dir);

}  // namespace cairn::pxar
