// An entry of a file archive (restic's dir.go/file.go/link.go/other.go in one kind, as the
// pxar accessor already tells them apart): directories list through the goodbye tables,
// files read their contents through the chunk cache, symlinks resolve, devices, FIFOs and
// sockets carry their modes. Every node reports the stored owner, mode, mtime with
// nanoseconds and xattrs, with ACLs as system.posix_acl_access/default and file
// capabilities as security.capability.
//
// Inodes: a directory's derives from its path; a non-directory's from the archive's path and
// the entry's offset, and its path() is that identity too, so all names of a hardlinked file
// share one node and one inode number. Listings come from the catalog where the snapshot
// has one (no child entry is decoded then), else from the goodbye tables.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pxar/decoder.h"
#include "fs/node.h"
#include "fs/pxar_archive.h"

namespace cairn::fs {

class PxarNode : public Node {
 public:
  // `archive_path`: the mount path of the archive's directory (e.g. ".../root.pxar");
  // `path`: this entry's mount path (the archive_path for the root).
  PxarNode(const FsContext& context, std::shared_ptr<const PxarArchive> archive, std::string_view archive_path,
           std::string path, pxar::Entry entry);

  bool immutable() const override { return true; }
  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;
  std::unique_ptr<FileReader> Open() override;
  // The next files in archive order (PxarArchive::FilesToPushAfter).
  std::vector<NextFile> ReadNext() override;
  std::unique_ptr<FileReader> OpenToPush() override;
  std::string ReadLink() override;
  std::vector<std::string> ListXattrs() override;
  std::optional<std::string> GetXattr(std::string_view name) override;

 private:
  // The parts of an entry that most entries lack.
  struct Extras {
    std::string link_target;
    std::vector<pxar::Xattr> xattrs;
    pxar::Acl acl;
    std::optional<std::string> fcaps;
  };
  static std::unique_ptr<const Extras> ExtrasOf(pxar::Entry& entry);

  // This entry as the accessor takes it: kind, stat and where it lies, without name,
  // link target and metadata beyond the stat.
  pxar::Entry Location() const;
  std::string_view archive_path() const { return std::string_view(path()).substr(0, archive_path_size_); }
  std::shared_ptr<PxarNode> Child(pxar::Entry entry) const;
  DirEntry EntryOf(const pxar::Entry& e) const;
  // This directory's listing from the snapshot catalog, or nullopt when there is none or it
  // does not match the archive.
  std::optional<std::vector<DirEntry>> ListFromCatalog() const;

  // There is one node per entry the kernel knows, 10^5 and more during a `find`, so a node
  // keeps only what every entry has inline (a whole pxar::Entry is 424 bytes before its
  // strings) and its extras behind a pointer that is null for the many entries without any.
  const std::shared_ptr<const PxarArchive> archive_;
  const uint32_t archive_path_size_;  // path() starts with the archive's mount path
  const pxar::EntryKind kind_;
  const pxar::Stat stat_;
  const uint64_t entry_start_;
  const uint64_t dir_end_;
  const uint64_t file_size_;
  const uint64_t content_offset_;
  const uint64_t rdev_;
  const std::unique_ptr<const Extras> extras_;
};

}  // namespace cairn::fs
