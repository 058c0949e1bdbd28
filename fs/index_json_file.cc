#include "fs/index_json_file.h"

#include <nlohmann/json.hpp>

#include "core/store/snapshot_reader.h"
#include "fs/image_volumes.h"

namespace cairn::fs {

IndexJsonFile::IndexJsonFile(const FsContext& context, std::string path, Snapshot snapshot)
    : Node(context, std::move(path)), snapshot_(std::move(snapshot)) {}

void IndexJsonFile::AddImageVolumes(const std::string& stored, nlohmann::json& file) const {
  std::string name = stored.substr(0, stored.size() - std::string_view(".fidx").size());
  try {
    AddVolumesJson(*ImageRef{snapshot_, stored}.Layout(context_), name, file);
  } catch (const Error& e) {
    // Encrypted without a key, a damaged table: the rest of the file is still worth having.
    file["volumes-error"] = e.what();
  }
}

std::string IndexJsonFile::Render() const {
  // No key: the signature is not checked, so the file is readable whatever key was used.
  SnapshotReader reader(datastore(), snapshot_, nullptr);
  const Manifest& manifest = reader.manifest();
  nlohmann::json doc = nlohmann::json::parse(manifest.ToJson());
  for (nlohmann::json& file : doc["files"]) {
    std::string name = file["filename"];
    file["encrypted"] = file["crypt-mode"] == "encrypt";
    std::optional<ArchiveKind> kind = ArchiveKindOf(name);
    if (kind == ArchiveKind::kFixedIndex) file["chunk-count"] = reader.OpenFixedIndex(name).chunk_count();
    if (name.ends_with(".img.fidx")) AddImageVolumes(name, file);
    if (kind == ArchiveKind::kDynamicIndex) file["chunk-count"] = reader.OpenDynamicIndex(name).chunk_count();
  }
  doc["protected"] = datastore().IsProtected(snapshot_);
  std::optional<std::string> owner = datastore().GroupOwner(snapshot_.group);
  doc["owner"] = owner ? nlohmann::json(*owner) : nlohmann::json(nullptr);
  std::optional<std::string> notes = manifest.notes();
  doc["notes"] = notes ? nlohmann::json(*notes) : nlohmann::json(nullptr);
  nlohmann::json verify = nullptr;
  try {
    if (std::optional<SnapshotVerifyState> state = manifest.verify_state()) {
      verify = {{"state", state->state == VerifyState::kOk ? "ok" : "failed"}, {"upid", state->upid}};
    }
  } catch (const Error&) {
    verify = "invalid";
  }
  doc["verify-state"] = std::move(verify);
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

NodeAttr IndexJsonFile::Attr() {
  uint64_t size = content_.Get(kFreshness, [&] { return Render(); })->size();
  return NodeAttr{NodeType::kFile, size, snapshot_.time, 0};
}

std::unique_ptr<OpenFile> IndexJsonFile::Open() {
  return std::make_unique<MemoryFile>(*content_.Get(kFreshness, [&] { return Render(); }), false);
}

}  // namespace cairn::fs
