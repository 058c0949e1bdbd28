// `index.json` at the root, in a namespace or in a group: every snapshot below it as a PBS
// snapshot list, streamed (see listing_stream.h). stat reports the exact size, from a full
// serialization that also records checkpoints and is reused for kFreshness. An open handle
// keeps the size and checkpoints it opened with; a listing that changes under a reader shows
// up at the next open. Until then the handle serves exactly its size: if the datastore
// changed meanwhile, the bytes after the change may come from the new listing, cut at that
// size or padded with spaces.
#pragma once

#include "fs/listing_stream.h"
#include "fs/node.h"

namespace cairn::fs {

// The name of a listing in the root, a namespace or a group directory.
inline constexpr char kIndexJson[] = "index.json";

class ListingJsonFile : public Node {
 public:
  ListingJsonFile(const FsContext& context, std::string path, ListingScope scope);

  // mtime: the mount time (a listing has no time of its own).
  NodeAttr Attr() override;
  std::unique_ptr<OpenFile> Open() override;

 private:
  std::shared_ptr<const ListingLayout> Layout();

  const ListingScope scope_;
  RecentValue<ListingLayout> layout_;
};

}  // namespace cairn::fs
