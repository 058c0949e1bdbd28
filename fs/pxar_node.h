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
#include <vector>

#include "core/pxar/decoder.h"
#include "fs/node.h"
#include "fs/pxar_archive.h"

namespace cairn::fs {

class PxarNode : public Node {
 public:
  // `archive_path`: the mount path of the archive's directory (e.g. ".../root.pxar");
  // `path`: this entry's mount path (the archive_path for the root).
  PxarNode(const FsContext& context, std::shared_ptr<const PxarArchive> archive, std::string archive_path,
           std::string path, pxar::Entry entry);

  bool immutable() const override { return true; }
  NodeAttr Attr() override;
  std::shared_ptr<Node> Lookup(std::string_view name) override;
  std::vector<DirEntry> List() override;
  std::unique_ptr<OpenFile> Open() override;
  std::string ReadLink() override;
  std::vector<std::string> ListXattrs() override;
  std::optional<std::string> GetXattr(std::string_view name) override;

 private:
  std::shared_ptr<PxarNode> Child(pxar::Entry entry) const;
  DirEntry EntryOf(const pxar::Entry& e) const;
  // This directory's listing from the snapshot catalog, or nullopt when there is none or it
  // does not match the archive.
  std::optional<std::vector<DirEntry>> ListFromCatalog() const;

  const std::shared_ptr<const PxarArchive> archive_;
  const std::string archive_path_;
  const pxar::Entry entry_;
};

}  // namespace cairn::fs
