// What the streamed index.json listings say about a snapshot.
#pragma once

#include <optional>
#include <string>

#include "core/format/manifest.h"
#include "core/store/backup_path.h"

namespace cairn::fs {

// Appends one element of a PBS snapshot list (GET .../snapshots) as compact JSON, keys in
// byte order: backup-id, backup-time, backup-type, comment (first line of the notes),
// files [{crypt-mode, filename, size}], fingerprint, ns (outside the root namespace: a PBS
// list covers one namespace, ours may cover several), owner, protected, size,
// verification {state, upid}; the optional ones only when known. Written directly rather
// than through a JSON DOM: a listing writes one per snapshot, 10^5 or more per read.
void AppendSnapshotListItem(std::string& out, const Snapshot& snapshot, const Manifest& manifest, bool is_protected,
                            const std::optional<std::string>& owner);

}  // namespace cairn::fs
