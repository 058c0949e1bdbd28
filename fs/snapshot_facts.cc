#include "fs/snapshot_facts.h"

#include <string_view>

#include "core/format/blob.h"
#include "core/store/snapshot_reader.h"
#include "core/util/file.h"

namespace cairn::fs {

nlohmann::json SnapshotListItem(const Datastore& datastore, const Snapshot& snapshot, const Manifest& manifest,
                                const std::optional<std::string>& owner) {
  nlohmann::json item = nlohmann::json::object();
  if (!snapshot.group.ns.IsRoot()) item["ns"] = snapshot.group.ns.Name();
  item["backup-type"] = BackupTypeName(snapshot.group.type);
  item["backup-id"] = snapshot.group.id;
  item["backup-time"] = snapshot.time;
  nlohmann::json files = nlohmann::json::array();
  uint64_t size = 0;
  for (const ManifestFile& file : manifest.files()) {
    files.push_back({{"filename", file.filename}, {"size", file.size}, {"crypt-mode", CryptModeName(file.crypt_mode)}});
    size += file.size;
  }
  item["files"] = std::move(files);
  item["size"] = size;
  item["protected"] = datastore.IsProtected(snapshot);
  if (std::optional<std::string> notes = manifest.notes()) item["comment"] = notes->substr(0, notes->find('\n'));
  try {
    if (std::optional<SnapshotVerifyState> verify = manifest.verify_state()) {
      item["verification"] = {{"state", verify->state == VerifyState::kOk ? "ok" : "failed"}, {"upid", verify->upid}};
    }
    if (manifest.key_fingerprint()) item["fingerprint"] = manifest.unprotected()["key-fingerprint"];
  } catch (const Error&) {
    // A malformed unprotected member hides that fact only; the snapshot is still listed.
  }
  if (owner) item["owner"] = *owner;
  return item;
}

}  // namespace cairn::fs
