#include "nbd/overlay_exports.h"

#include "core/overlay/overlay_source.h"

namespace cairn::nbd {

std::vector<Export> WithOverlays(std::vector<Export> exports, OverlayDir& dir, const std::string& datastore) {
  for (Export& e : exports) {
    // Keyed by target: the `latest` alias and the snapshot's own name share one overlay.
    OverlayInfo info{datastore, e.target, e.size, e.base_id, kOverlayGranularity};
    if (dir.Exists(info.export_name)) dir.Get(info);
    e.writable = true;
    e.description += " (writable: copy-on-write overlay in " + dir.path().string() + ")";
    e.open = [base = std::move(e.open), &dir, info]() -> std::unique_ptr<BlockSource> {
      std::shared_ptr<Overlay> overlay = dir.Get(info);
      return std::make_unique<OverlaySource>(std::move(overlay), base());
    };
  }
  return exports;
}

}  // namespace cairn::nbd
