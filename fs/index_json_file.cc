#include "fs/index_json_file.h"

#include <nlohmann/json.hpp>

#include "core/store/snapshot_reader.h"
#include "core/util/bytes.h"
#include "fs/image_volumes.h"

namespace cairn::fs {
namespace {

// Adds the volumes of image `stored` to its entry `file`, or "volumes-error".
void AddImageVolumes(const FsContext& context, const Snapshot& snapshot, const std::string& stored,
                     nlohmann::json& file) {
  std::string name = stored.substr(0, stored.size() - std::string_view(".fidx").size());
  try {
    AddVolumesJson(*ImageRef{snapshot, stored}.Layout(context), name, file);
  } catch (const Error& e) {
    // Encrypted without a key, a damaged table: the rest of the file is still worth having.
    file["volumes-error"] = e.what();
  }
}

std::string Render(const FsContext& context, const Snapshot& snapshot) {
  const Datastore& datastore = *context.datastore;
  // No key: the signature is not checked, so the file is readable whatever key was used.
  SnapshotReader reader(datastore, snapshot, nullptr);
  const Manifest& manifest = reader.manifest();
  nlohmann::json doc = nlohmann::json::parse(manifest.ToJson());
  for (nlohmann::json& file : doc["files"]) {
    std::string name = file["filename"];
    file["encrypted"] = file["crypt-mode"] == "encrypt";
    std::optional<ArchiveKind> kind = ArchiveKindOf(name);
    if (kind == ArchiveKind::kFixedIndex) file["chunk-count"] = reader.OpenFixedIndex(name).chunk_count();
    if (name.ends_with(".img.fidx")) AddImageVolumes(context, snapshot, name, file);
    if (kind == ArchiveKind::kDynamicIndex) file["chunk-count"] = reader.OpenDynamicIndex(name).chunk_count();
  }
  doc["protected"] = datastore.IsProtected(snapshot);
  std::optional<std::string> owner = datastore.GroupOwner(snapshot.group);
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

}  // namespace

std::shared_ptr<IndexJsonFile> IndexJsonFile::Current(const FsContext& context, const std::string& path,
                                                      const Snapshot& snapshot, RecentValue<std::string>& rendered) {
  return std::make_shared<IndexJsonFile>(context, path, snapshot.time,
                                         rendered.Get(kFreshness, [&] { return Render(context, snapshot); }));
}

IndexJsonFile::IndexJsonFile(const FsContext& context, const std::string& path, int64_t mtime,
                             std::shared_ptr<const std::string> content)
    : Node(context, path, VersionedInodeOf(context, path, Sha256(AsBytes(*content)))),
      mtime_(mtime),
      content_(std::move(content)) {}

NodeAttr IndexJsonFile::Attr() { return NodeAttr{NodeType::kFile, content_->size(), mtime_, 0}; }

std::unique_ptr<FileReader> IndexJsonFile::Open() { return std::make_unique<MemoryFile>(content_); }

}  // namespace cairn::fs
