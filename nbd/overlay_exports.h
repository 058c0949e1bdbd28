// Writable attach (`cairn nbd --overlay DIR`, issue 5): every export becomes writable
// through a copy-on-write overlay (core/overlay) kept in DIR, one per image, shared by all
// the image's aliases and connections. The base is never written.
#pragma once

#include <string>
#include <vector>

#include "core/overlay/overlay_dir.h"
#include "nbd/exports.h"

namespace cairn::nbd {

// Returns `exports` made writable. `dir` must outlive the result and every source it opens;
// `datastore` is recorded in new overlays for `cairn overlay export`. Overlays that already
// exist are opened now, so one made over other data (a different base fingerprint or size)
// fails here (Error kInvalidInput) rather than at a client's first connection.
std::vector<Export> WithOverlays(std::vector<Export> exports, OverlayDir& dir, const std::string& datastore);

}  // namespace cairn::nbd
