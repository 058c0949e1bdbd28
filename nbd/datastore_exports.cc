#include "nbd/datastore_exports.h"

#include <fnmatch.h>

#include <bit>

#include "core/image_fs/disk_layout.h"
#include "core/read/slice_source.h"
#include "core/read/snapshot_image.h"
#include "core/store/snapshot_reader.h"
#include "core/util/hex.h"
#include "core/util/log.h"
#include "nbd/protocol.h"

namespace cairn::nbd {
namespace {

constexpr std::string_view kImageSuffix = ".img.fidx";
constexpr std::string_view kIndexSuffix = ".fidx";

bool Selected(const std::string& name, const std::vector<std::string>& globs) {
  if (globs.empty()) return true;
  for (const std::string& glob : globs) {
    if (fnmatch(glob.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

// The preferred block size to advertise: the chunk size, within the protocol's bounds.
uint32_t PreferredBlock(uint64_t chunk_size) {
  uint64_t p = std::bit_floor(std::max<uint64_t>(chunk_size, 512));
  return static_cast<uint32_t>(std::min<uint64_t>(p, kMaxPayload));
}

// Adds `base` under its own name and, for the newest snapshot of a group, under `alias`.
void AddExport(const Export& base, const std::string& target, const std::string& alias, bool want_target,
               bool want_alias, const Snapshot& snapshot, std::vector<Export>& out) {
  if (want_target) {
    Export e = base;
    e.name = target;
    out.push_back(std::move(e));
  }
  if (want_alias) {
    Export e = base;
    e.name = alias;
    e.description = "latest of " + snapshot.group.DisplayPath() + ": " + base.description;
    out.push_back(std::move(e));
  }
}

// `<image>/part<N>` for every partition of the image `image` exports (issue 7). The table
// is read now, once, to know the names and sizes; an image whose table cannot be read gets
// no partition exports (with a warning), its whole-image export is unaffected.
template <typename OpenImage>
void AddPartitionExports(const Export& image, const OpenImage& open_image, const std::string& alias, bool latest,
                         const Snapshot& snapshot, const DatastoreExportOptions& options, std::vector<Export>& out) {
  auto selected = [&](uint32_t n) {
    std::string suffix = "/part" + std::to_string(n);
    return std::pair{Selected(image.target + suffix, options.globs), latest && Selected(alias + suffix, options.globs)};
  };
  if (!options.globs.empty()) {
    // Partition numbers are small; only read the table when some name could be wanted.
    bool any = false;
    for (uint32_t n = 1; n <= 128 && !any; ++n) any = selected(n).first || selected(n).second;
    if (!any) return;
  }
  DiskLayout layout;
  try {
    std::shared_ptr<BlockSource> disk = open_image();
    layout = ReadDiskLayout(disk);
  } catch (const Error& e) {
    Log(LogLevel::kWarning, "no partition exports for " + image.target + ": " + e.what());
    return;
  }
  for (const Volume& volume : layout.volumes) {
    if (!volume.partition) continue;
    auto [want_target, want_alias] = selected(volume.number);
    if (!want_target && !want_alias) continue;
    std::string suffix = "/part" + std::to_string(volume.number);
    Export e;
    e.size = volume.size;
    e.preferred_block = image.preferred_block;
    e.target = image.target + suffix;
    e.description = "partition " + std::to_string(volume.number) + " of " + image.target + " (" +
                    std::to_string(volume.size) + " bytes" +
                    (volume.filesystem.name.empty() ? "" : ", " + volume.filesystem.name) + ")";
    uint64_t offset = volume.offset, size = volume.size;
    e.open = [open_image, offset, size]() -> std::unique_ptr<BlockSource> {
      return std::make_unique<SliceSource>(open_image(), offset, size);
    };
    AddExport(e, e.target, alias + suffix, want_target, want_alias, snapshot, out);
  }
}

void AddSnapshotExports(const Datastore& ds, const Snapshot& snapshot, bool latest, const CryptConfig* crypt,
                        ChunkCache& cache, const DatastoreExportOptions& options, std::vector<Export>& out) {
  std::optional<SnapshotReader> reader;
  try {
    reader.emplace(ds, snapshot, crypt);
  } catch (const Error& e) {
    Log(LogLevel::kWarning, "skipping snapshot " + snapshot.DisplayPath() + ": " + e.what());
    return;
  }
  for (const ManifestFile& file : reader->manifest().files()) {
    if (!file.filename.ends_with(kImageSuffix)) continue;
    std::string archive = file.filename.substr(0, file.filename.size() - kIndexSuffix.size());
    std::string target = snapshot.DisplayPath() + "/" + archive;
    std::string alias = snapshot.group.DisplayPath() + "/latest/" + archive;
    bool want_target = Selected(target, options.globs);
    bool want_alias = latest && Selected(alias, options.globs);
    if (file.crypt_mode == CryptMode::kEncrypt && crypt == nullptr) {
      if (want_target || want_alias) Log(LogLevel::kWarning, "skipping " + target + ": encrypted, and no --keyfile given");
      continue;
    }
    uint64_t size = 0, chunk_size = 0;
    std::string base_id;
    try {
      FixedIndex index = reader->OpenFixedIndex(file.filename);
      size = index.size();
      chunk_size = index.chunk_size();
      base_id = ToHex(index.csum());
    } catch (const Error& e) {
      Log(LogLevel::kWarning, "skipping " + target + ": " + e.what());
      continue;
    }
    const Datastore* dsp = &ds;
    ReadOptions read = options.read;
    std::string filename = file.filename;
    auto open_image = [dsp, snapshot, filename, crypt, &cache, read] {
      return SnapshotImage::Open(*dsp, snapshot, crypt, filename, cache, read);
    };
    Export base;
    base.size = size;
    base.preferred_block = PreferredBlock(chunk_size);
    base.target = target;
    base.base_id = std::move(base_id);
    base.description = target + " (" + std::to_string(size) + " bytes" +
                       (file.crypt_mode == CryptMode::kEncrypt ? ", encrypted" : "") + ")";
    base.open = [open_image]() -> std::unique_ptr<BlockSource> { return open_image(); };
    AddExport(base, target, alias, want_target, want_alias, snapshot, out);
    AddPartitionExports(base, open_image, alias, latest, snapshot, options, out);
  }
}

void AddNamespaceExports(const Datastore& ds, const BackupNamespace& ns, const CryptConfig* crypt, ChunkCache& cache,
                         const DatastoreExportOptions& options, std::vector<Export>& out) {
  for (const BackupGroup& group : ds.ListGroups(ns)) {
    std::vector<Snapshot> snapshots = ds.ListSnapshots(group);
    for (size_t i = 0; i < snapshots.size(); ++i) {
      AddSnapshotExports(ds, snapshots[i], i + 1 == snapshots.size(), crypt, cache, options, out);
    }
  }
  for (const BackupNamespace& child : ds.ListNamespaces(ns)) AddNamespaceExports(ds, child, crypt, cache, options, out);
}

}  // namespace

std::vector<Export> ListDatastoreExports(const Datastore& datastore, const CryptConfig* crypt, ChunkCache& cache,
                                         const DatastoreExportOptions& options) {
  std::vector<Export> out;
  AddNamespaceExports(datastore, BackupNamespace{}, crypt, cache, options, out);
  return out;
}

}  // namespace cairn::nbd
