// The exports a server offers (nbdkit: server/exports.c). The protocol code sees an export
// only through this: a name, a description, a size, and a way to open a BlockSource for one
// connection. Where the bytes come from (a datastore, a test buffer) is the creator's business.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/read/block_source.h"

namespace cairn::nbd {

struct Export {
  std::string name;         // what clients pass to GO / EXPORT_NAME; <= 4096 bytes
  std::string description;  // free text for humans (LIST, NBD_INFO_DESCRIPTION)
  uint64_t size = 0;        // bytes; what every source `open` returns reports
  uint32_t preferred_block = 4096;  // advertised preferred block size (a power of two)
  std::string target;       // identity of the data: aliases of one image share it
  std::string base_id;      // fingerprint of the bytes (e.g. the index checksum), for overlays
  // True when `open` returns a WritableBlockSource (a copy-on-write overlay): the export is
  // advertised without READ_ONLY and takes WRITE, WRITE_ZEROES, TRIM and FUA.
  bool writable = false;
  // Opens a source for one connection (a per-connection reader keeps per-connection
  // read-ahead). Called on a worker thread, never on an I/O thread; may throw Error.
  std::function<std::unique_ptr<BlockSource>()> open;
};

class ExportList {
 public:
  // REQUIRES: names are unique. `default_name`, when given, must name one of `exports`
  // (throws Error kInvalidInput otherwise); without it the empty name selects the only
  // target when all exports share one, and nothing otherwise.
  ExportList(std::vector<Export> exports, std::optional<std::string> default_name);

  const std::vector<Export>& all() const { return exports_; }
  // The export a client's name selects ("" selects the default); nullptr when none.
  const Export* Find(std::string_view name) const;

 private:
  std::vector<Export> exports_;
  const Export* default_ = nullptr;  // into exports_
};

}  // namespace cairn::nbd
