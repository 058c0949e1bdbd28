#include "fs/image_volumes.h"

#include "core/read/snapshot_image.h"
#include "fs/volume_cache.h"

namespace cairn::fs {

std::shared_ptr<BlockSource> ImageRef::Open(const FsContext& context) const {
  return SnapshotImage::Open(*context.datastore, snapshot, context.crypt, stored, *context.cache,
                             context.read_options);
}

std::shared_ptr<const DiskLayout> ImageRef::Layout(const FsContext& context) const {
  return context.volumes->Layout(Key(), [&] { return Open(context); });
}

std::shared_ptr<ExtFilesystem> ImageRef::Filesystem(const FsContext& context, uint32_t volume) const {
  return context.volumes->Filesystem(Key(), volume, [&] { return Open(context); });
}

void AddVolumesJson(const DiskLayout& layout, std::string_view name, nlohmann::json& file) {
  file["partition-table"] = PartitionSchemeName(layout.table.scheme);
  if (!layout.table.warnings.empty()) file["partition-warnings"] = layout.table.warnings;
  nlohmann::json volumes = nlohmann::json::array();
  for (const Volume& volume : layout.volumes) {
    std::string number = std::to_string(volume.number);
    std::string path =
        volume.partition ? std::string(name) + std::string(kPartsSuffix) + "/" + number : std::string(name);
    nlohmann::json v = {{"number", volume.number}, {"offset", volume.offset}, {"size", volume.size}};
    if (volume.partition) {
      v["type"] = volume.partition->type;
      v["type-name"] = volume.partition->type_name;
      if (!volume.partition->label.empty()) v["label"] = volume.partition->label;
      if (!volume.partition->uuid.empty()) v["uuid"] = volume.partition->uuid;
    }
    v["filesystem"] =
        volume.filesystem.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(volume.filesystem.name);
    v["file"] = path;
    if (volume.filesystem.kind == FilesystemKind::kExt)
      v["browse"] = std::string(name) + std::string(kFsSuffix) + "/" + number;
    std::string hint = MountHint(volume.filesystem, path);
    v["mount-hint"] = hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(hint);
    volumes.push_back(std::move(v));
  }
  file["volumes"] = std::move(volumes);
}

std::string LabelLinkName(const Partition& partition) {
  if (partition.label.empty()) return "";
  std::string name = std::to_string(partition.number) + "-";
  for (char c : partition.label) name += (c == '/' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
  return name;
}

}  // namespace cairn::fs
