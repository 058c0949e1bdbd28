// Writes a snapshot catalog (`catalog.pcat1`, spec §8, read by catalog.h) as a stream:
// directory blocks go out post-order as each directory ends, so only the entries of the
// directories still open are held in memory.
//
// Usage: StartDirectory("root.pxar.didx"), the archive's tree (StartDirectory/EndDirectory
// nest, AddFile/AddEntry for the rest), EndDirectory(), more archives, Finish().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/format/catalog.h"
#include "core/util/bytes.h"

namespace cairn {

class CatalogWriter {
 public:
  using Sink = std::function<void(ByteView)>;

  // Writes the magic.
  explicit CatalogWriter(Sink sink);

  void StartDirectory(std::string_view name);
  // Writes the directory's block. Throws Error(kInvalidInput) without an open directory.
  void EndDirectory();
  void AddFile(std::string_view name, uint64_t size, int64_t mtime_secs);
  // Any other type (symlink, hardlink, device, FIFO, socket). REQUIRES type is not
  // kDirectory or kFile.
  void AddEntry(CatalogEntryType type, std::string_view name);

  // Writes the root block and the trailing root offset. REQUIRES every directory was ended.
  void Finish();

 private:
  struct OpenDirectory {
    std::string name;
    std::vector<CatalogEntry> entries;  // 'd' entries hold the child's absolute block offset
  };
  void Write(ByteView data);
  // Writes `dir`'s block and returns its start offset.
  uint64_t WriteBlock(const OpenDirectory& dir);

  Sink sink_;
  uint64_t pos_ = 0;
  std::vector<OpenDirectory> stack_;  // the catalog root first
};

}  // namespace cairn
