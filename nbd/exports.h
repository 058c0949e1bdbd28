// The exports a server offers (nbdkit: server/exports.c). The protocol code sees an export
// only through this: a name, a description, a size, and a way to open a BlockSource for one
// connection. Where the bytes come from (a datastore, a test buffer) is the creator's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

// The exports over time (issue 5: new snapshots appear without a restart). The list is made
// by `list` at construction and made again when a client asks for it (LIST, INFO, GO,
// EXPORT_NAME) and it is older than `max_age`. A connection keeps the list it got, so the
// exports it points into live as long as it does.
class ExportCatalog {
 public:
  using Lister = std::function<std::vector<Export>()>;
  using Clock = std::chrono::steady_clock;

  // Lists once; throws what `list` or ExportList throws. Clock::duration::max(): never relist.
  ExportCatalog(Lister list, std::optional<std::string> default_name, Clock::duration max_age);

  // The current list, without relisting. Thread-safe.
  std::shared_ptr<const ExportList> Peek() const;
  // The current list, relisted first when older than max_age. A relisting that fails keeps
  // the previous list and logs a warning. Thread-safe; may block on disk (call it from a
  // worker thread).
  std::shared_ptr<const ExportList> Current();

 private:
  const Lister list_;
  const std::optional<std::string> default_name_;
  const Clock::duration max_age_;
  std::mutex relist_mu_;                         // one relisting at a time
  mutable std::mutex mu_;                        // guards the two below
  std::shared_ptr<const ExportList> current_;
  Clock::time_point listed_at_;
};

}  // namespace cairn::nbd
