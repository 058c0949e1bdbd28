// A snapshot: its archives under the names users know, read from the manifest:
//   - `<name>.img.fidx` and other chunked archives that are not pxar: a file (ImageFile);
//   - `<name>.blob`: the decoded blob (BlobFile), `client.log.blob` included;
//   - `<name>.pxar.didx`, `<name>.mpxar.didx`: a directory `<name>.pxar` (ArchiveDir), the
//     payload half `.ppxar.didx` of a split archive belongs to it and is not shown;
//   - `index.json.blob`: `index.json`, the manifest with derived facts (IndexJsonFile);
//   - for each `<name>.img.fidx` also `<name>.img.parts/` (PartitionsDir) and
//     `<name>.img.fs/` (FilesystemsDir), present whatever the image holds, so that listing
//     a snapshot never reads an image.
#pragma once

#include <vector>

#include "core/format/manifest.h"
#include "fs/node.h"

namespace cairn::fs {

class SnapshotDir : public Node {
 public:
  SnapshotDir(const FsContext& context, std::string path, Snapshot snapshot);

  // mtime: the backup time.
  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;

 private:
  enum class Kind { kImage, kBlob, kArchive, kIndexJson, kPartitions, kFilesystems };
  struct Entry {
    std::string name;    // as shown
    std::string stored;  // file name in the snapshot directory
    Kind kind;
    uint64_t size;       // manifest size (image bytes for indexes, encoded bytes for blobs)
  };

  // The entries, from the manifest; read once per node (archives never change).
  const std::vector<Entry>& Entries();
  static NodeType TypeOf(Kind kind) {
    bool dir = kind == Kind::kArchive || kind == Kind::kPartitions || kind == Kind::kFilesystems;
    return dir ? NodeType::kDirectory : NodeType::kFile;
  }

  const Snapshot snapshot_;
  std::mutex mu_;
  std::optional<std::vector<Entry>> entries_;  // guarded by mu_
  RecentValue<std::string> index_json_;
};

}  // namespace cairn::fs
