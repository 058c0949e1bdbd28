// The exports of a datastore (issue 5): every image archive (.img.fidx) of every finished
// snapshot, named by the datastore's own path form `[ns/A/ns/B/...]TYPE/ID/TIME/ARCHIVE`,
// plus a `[ns/...]TYPE/ID/latest/ARCHIVE` alias per group. This is the only part of nbd/
// that knows about datastores; the protocol code sees an ExportList.
#pragma once

#include <string>
#include <vector>

#include "core/cache/chunk_cache.h"
#include "core/crypto/crypt_config.h"
#include "core/read/index_reader.h"
#include "core/store/datastore.h"
#include "nbd/exports.h"

namespace cairn::nbd {

struct DatastoreExportOptions {
  std::vector<std::string> globs;  // fnmatch(3) patterns ('*' also matches '/'); empty: all
  ReadOptions read;                // per-connection reader options (read-ahead depth)
};

// Lists the exports. `datastore`, `crypt` (may be null) and `cache` must outlive the result
// and every source it opens. Snapshots that cannot be opened, and encrypted archives when
// no key is given, are skipped with a warning. Each opened source holds its snapshot's
// shared lock, so PBS cannot prune a snapshot while a client uses it.
std::vector<Export> ListDatastoreExports(const Datastore& datastore, const CryptConfig* crypt, ChunkCache& cache,
                                         const DatastoreExportOptions& options);

}  // namespace cairn::nbd
