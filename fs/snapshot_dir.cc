#include "fs/snapshot_dir.h"

#include "core/store/snapshot_reader.h"
#include "fs/archive_dir.h"
#include "fs/blob_file.h"
#include "fs/filesystems_dir.h"
#include "fs/image_file.h"
#include "fs/index_json_file.h"
#include "fs/partitions_dir.h"
#include "fs/snapshot_facts.h"

namespace cairn::fs {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view StripSuffix(std::string_view text, std::string_view suffix) {
  return text.substr(0, text.size() - suffix.size());
}

}  // namespace

SnapshotDir::SnapshotDir(const FsContext& context, std::string path, Snapshot snapshot)
    : Node(context, std::move(path)), snapshot_(std::move(snapshot)) {}

NodeAttr SnapshotDir::Attr() {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(datastore().PathOf(snapshot_) / kManifestBlobName, ec)) {
    throw Error(ErrorKind::kNotFound, "snapshot " + snapshot_.DisplayPath() + " is gone");
  }
  return NodeAttr{NodeType::kDirectory, 0, snapshot_.time, 0};
}

const std::vector<SnapshotDir::Entry>& SnapshotDir::Entries() {
  std::lock_guard lock(mu_);
  if (entries_) return *entries_;
  Manifest manifest = ReadManifestUnlocked(datastore(), snapshot_);
  std::vector<Entry> entries = {{"index.json", kManifestBlobName, Kind::kIndexJson, 0}};
  for (const ManifestFile& file : manifest.files()) {
    std::string_view name = file.filename;
    if (EndsWith(name, ".pxar.didx")) {
      entries.push_back({std::string(StripSuffix(name, ".didx")), file.filename, Kind::kArchive, file.size});
    } else if (EndsWith(name, ".mpxar.didx")) {
      entries.push_back({std::string(StripSuffix(name, ".mpxar.didx")) + ".pxar", file.filename, Kind::kArchive, file.size});
    } else if (EndsWith(name, ".ppxar.didx")) {
      continue;
    } else if (EndsWith(name, ".fidx") || EndsWith(name, ".didx")) {
      // Both suffixes are five characters long.
      std::string shown(StripSuffix(name, ".fidx"));
      entries.push_back({shown, file.filename, Kind::kImage, file.size});
      if (EndsWith(name, ".img.fidx")) {
        entries.push_back({shown + std::string(kPartsSuffix), file.filename, Kind::kPartitions, 0});
        entries.push_back({shown + std::string(kFsSuffix), file.filename, Kind::kFilesystems, 0});
      }
    } else if (EndsWith(name, ".blob")) {
      entries.push_back({std::string(StripSuffix(name, ".blob")), file.filename, Kind::kBlob, file.size});
    }
  }
  std::error_code ec;
  uint64_t log_size = std::filesystem::file_size(datastore().PathOf(snapshot_) / kClientLogBlobName, ec);
  if (!ec) entries.push_back({"client.log", kClientLogBlobName, Kind::kBlob, log_size});
  entries_ = std::move(entries);
  return *entries_;
}

std::shared_ptr<Node> SnapshotDir::Lookup(std::string_view name) {
  for (const Entry& entry : Entries()) {
    if (entry.name != name) continue;
    std::string path = ChildPath(name);
    switch (entry.kind) {
      case Kind::kImage: return std::make_shared<ImageFile>(context_, path, snapshot_, entry.stored, entry.size);
      case Kind::kBlob: return std::make_shared<BlobFile>(context_, path, snapshot_, entry.stored, entry.size);
      case Kind::kArchive: return std::make_shared<ArchiveDir>(context_, path, snapshot_, entry.stored);
      case Kind::kIndexJson: return IndexJsonFile::Current(context_, path, snapshot_, index_json_);
      case Kind::kPartitions: return std::make_shared<PartitionsDir>(context_, path, ImageRef{snapshot_, entry.stored});
      case Kind::kFilesystems: return std::make_shared<FilesystemsDir>(context_, path, ImageRef{snapshot_, entry.stored});
    }
  }
  return nullptr;
}

std::vector<DirEntry> SnapshotDir::List() {
  std::vector<DirEntry> entries;
  for (const Entry& entry : Entries()) entries.push_back(ChildEntry(entry.name, TypeOf(entry.kind)));
  return entries;
}

}  // namespace cairn::fs
