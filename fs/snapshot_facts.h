// What the generated index.json files say about a snapshot, in one place so that the
// per-snapshot file and the streamed listings agree.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/format/manifest.h"
#include "core/store/datastore.h"
#include "core/store/snapshot_reader.h"

namespace cairn::fs {

// One element of a PBS snapshot list (GET .../snapshots): backup-type, backup-id,
// backup-time, files [{filename, size, crypt-mode}], size, protected, and when known
// comment, verification, fingerprint, owner; plus "ns" for snapshots outside the root
// namespace (a PBS list covers one namespace, ours may cover several).
nlohmann::json SnapshotListItem(const Datastore& datastore, const Snapshot& snapshot, const Manifest& manifest,
                                const std::optional<std::string>& owner);

}  // namespace cairn::fs
