#include "nbd/datastore_exports.h"

#include <fnmatch.h>

#include <bit>

#include "core/read/archive_reader.h"
#include "core/store/snapshot_reader.h"
#include "core/util/hex.h"
#include "core/util/log.h"
#include "nbd/protocol.h"

namespace cairn::nbd {
namespace {

constexpr std::string_view kImageSuffix = ".img.fidx";
constexpr std::string_view kIndexSuffix = ".fidx";

// One connection's view of an image: the snapshot stays open (and locked against pruning)
// for as long as the reader is used.
class SnapshotImage final : public BlockSource {
 public:
  SnapshotImage(std::unique_ptr<SnapshotReader> snapshot, std::unique_ptr<IndexReader> reader)
      : snapshot_(std::move(snapshot)), reader_(std::move(reader)) {}

  uint64_t size() const override { return reader_->size(); }
  size_t Read(uint64_t offset, std::span<uint8_t> out) override { return reader_->Read(offset, out); }
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) const override {
    return reader_->Extents(offset, length);
  }

 private:
  std::unique_ptr<SnapshotReader> snapshot_;  // declared first: outlives the reader
  std::unique_ptr<IndexReader> reader_;
};

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
    if (!want_target && !want_alias) continue;
    if (file.crypt_mode == CryptMode::kEncrypt && crypt == nullptr) {
      Log(LogLevel::kWarning, "skipping " + target + ": encrypted, and no --keyfile given");
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
    Export base;
    base.size = size;
    base.preferred_block = PreferredBlock(chunk_size);
    base.target = target;
    base.base_id = std::move(base_id);
    base.description = target + " (" + std::to_string(size) + " bytes" +
                       (file.crypt_mode == CryptMode::kEncrypt ? ", encrypted" : "") + ")";
    const Datastore* dsp = &ds;
    ReadOptions read = options.read;
    std::string filename = file.filename;
    base.open = [dsp, snapshot, filename, crypt, &cache, read]() -> std::unique_ptr<BlockSource> {
      auto opened = std::make_unique<SnapshotReader>(*dsp, snapshot, crypt);
      std::unique_ptr<IndexReader> index = OpenArchiveReader(*opened, filename, cache, read);
      return std::make_unique<SnapshotImage>(std::move(opened), std::move(index));
    };
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
