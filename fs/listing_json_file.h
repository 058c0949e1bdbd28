// `index.json` at the root, in a namespace or in a group: every snapshot below it as a PBS
// snapshot list, streamed (see listing_stream.h). A node is one version of the listing: the
// size, content digest and checkpoints of one full serialization, made when it was looked
// up. Its inode number names that version (VersionedInodeOf): a listing that changes shows
// up as another file at the next lookup, while whoever opened the old one keeps its size.
// Reads serialize the datastore as it is then: if it changed since the version was
// measured, the bytes after the change may come from the new listing, cut at the version's
// size or padded with spaces.
#pragma once

#include <memory>
#include <string>

#include "fs/listing_stream.h"
#include "fs/node.h"

namespace cairn::fs {

// The name of a listing in the root, a namespace or a group directory.
inline constexpr char kIndexJson[] = "index.json";

class ListingJsonFile : public Node {
 public:
  // The current version of the listing of `scope` at `path`, measured at most every
  // kFreshness; `measured` belongs to the directory that shows the file.
  static std::shared_ptr<ListingJsonFile> Current(const FsContext& context, const std::string& path,
                                                  ListingScope scope, RecentValue<ListingLayout>& measured);

  ListingJsonFile(const FsContext& context, const std::string& path, ListingScope scope,
                  std::shared_ptr<const ListingLayout> layout);

  bool immutable() const override { return true; }  // one version never changes
  // mtime: the mount time (a listing has no time of its own).
  NodeAttr Attr() override;
  std::unique_ptr<FileReader> Open() override;

 private:
  const ListingScope scope_;
  const std::shared_ptr<const ListingLayout> layout_;
};

}  // namespace cairn::fs
