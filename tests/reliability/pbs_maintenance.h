// What PBS does to a datastore while cairn reads it, for tests that check cairn survives it:
// prune a snapshot and collect garbage, following PBS's rules (spec §9). For datastores that
// PBS does not know by name (the tests' scratch datastores), whose snapshot locks are flocks
// on the snapshot directories.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/store/datastore.h"

namespace cairn::test {

// Removes `snapshot` as PBS's BackupDir::destroy(force) does. Unless `force`, it first takes
// the exclusive snapshot lock (throws Error kBusy while any reader holds the shared one) and
// refuses a protected snapshot (kBusy). `force` skips both, as PBS does when it cleans up a
// failed backup and as an administrator's `rm -r` does.
void PruneSnapshot(const Datastore& datastore, const Snapshot& snapshot, bool force);

// Garbage collection as PBS runs it (spec §9.3) with the atime cutoff taken as elapsed:
// takes the exclusive chunk-store lock (throws kBusy while a backup holds the shared one),
// marks every chunk that a *.fidx or *.didx outside dot-directories references, then
// unlinks every other chunk file. Returns the hex digests of the chunks removed, sorted.
std::vector<std::string> CollectGarbage(const std::filesystem::path& datastore_root);

}  // namespace cairn::test
