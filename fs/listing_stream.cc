#include "fs/listing_stream.h"

#include <algorithm>
#include <cstring>

#include "core/util/error.h"
#include "fs/snapshot_facts.h"

namespace cairn::fs {

ListingStream::ListingStream(const Datastore& datastore, const ListingScope& scope, const ListingCheckpoint& from)
    : datastore_(datastore), walk_(datastore, scope.ns, scope.group), last_(from.after), offset_(from.offset) {
  if (from.after) walk_.Seek(from.after);
  if (from.offset == 0) piece_ = "[";
}

bool ListingStream::NextPiece() {
  piece_.clear();
  piece_pos_ = 0;
  if (closed_) return false;
  while (std::optional<Snapshot> snapshot = walk_.Next()) {
    nlohmann::json item;
    try {
      item = SnapshotListItem(datastore_, *snapshot, ReadManifestUnlocked(datastore_, *snapshot), walk_.owner());
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNotFound) continue;  // pruned since it was listed
      item = {{"backup-type", BackupTypeName(snapshot->group.type)},
              {"backup-id", snapshot->group.id},
              {"backup-time", snapshot->time},
              {"error", e.what()}};
      if (!snapshot->group.ns.IsRoot()) item["ns"] = snapshot->group.ns.Name();
    }
    piece_ = last_ ? ",\n" : "\n";
    piece_ += item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    last_ = std::move(snapshot);
    return true;
  }
  closed_ = true;
  piece_ = last_ ? "\n]\n" : "]\n";
  return true;
}

size_t ListingStream::Produce(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    if (piece_pos_ == piece_.size() && !NextPiece()) break;
    size_t n = std::min(out.size() - done, piece_.size() - piece_pos_);
    std::memcpy(out.data() + done, piece_.data() + piece_pos_, n);
    piece_pos_ += n;
    done += n;
  }
  offset_ += done;
  return done;
}

void ListingStream::Skip(uint64_t count) {
  while (count > 0) {
    if (piece_pos_ == piece_.size() && !NextPiece()) return;
    size_t n = static_cast<size_t>(std::min<uint64_t>(count, piece_.size() - piece_pos_));
    piece_pos_ += n;
    offset_ += n;
    count -= n;
  }
}

bool ListingStream::SkipPiece() {
  if (piece_pos_ == piece_.size() && !NextPiece()) return false;
  offset_ += piece_.size() - piece_pos_;
  piece_pos_ = piece_.size();
  return true;
}

std::optional<ListingCheckpoint> ListingStream::Checkpoint() const {
  // Only between lines: the next piece then starts with the separator after last_.
  if (piece_pos_ != piece_.size() || closed_ || !last_) return std::nullopt;
  return ListingCheckpoint{offset_, last_};
}

ListingLayout ListingLayout::Measure(const Datastore& datastore, const ListingScope& scope) {
  ListingLayout layout;
  layout.checkpoints.push_back(ListingCheckpoint{});
  uint64_t spacing = kCheckpointSpacing;
  ListingStream stream(datastore, scope, ListingCheckpoint{});
  do {
    if (std::optional<ListingCheckpoint> cp = stream.Checkpoint();
        cp && cp->offset >= layout.checkpoints.back().offset + spacing) {
      if (layout.checkpoints.size() == kMaxCheckpoints) {
        // Thin out: keep every other checkpoint and space new ones twice as far apart.
        size_t kept = 0;
        for (size_t i = 0; i < layout.checkpoints.size(); i += 2) layout.checkpoints[kept++] = layout.checkpoints[i];
        layout.checkpoints.resize(kept);
        spacing *= 2;
      }
      layout.checkpoints.push_back(std::move(*cp));
    }
  } while (stream.SkipPiece());
  layout.size = stream.offset();
  return layout;
}

const ListingCheckpoint& ListingLayout::CheckpointBefore(uint64_t offset) const {
  auto it = std::upper_bound(checkpoints.begin(), checkpoints.end(), offset,
                             [](uint64_t o, const ListingCheckpoint& cp) { return o < cp.offset; });
  return *(it - 1);
}

}  // namespace cairn::fs
