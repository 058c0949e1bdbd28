#include "fs/listing_stream.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/util/bytes.h"
#include "core/util/error.h"
#include "fs/snapshot_facts.h"

namespace cairn::fs {

namespace {

// The list item of `snapshot`: its facts, or its name and what is wrong with its manifest;
// nullopt when it has none (unfinished, or pruned since the walk listed it).
std::optional<std::string> RenderItem(const GroupDirectory& group, const Snapshot& snapshot,
                                      const std::optional<std::string>& owner) {
  std::string item;
  try {
    AppendSnapshotListItem(item, snapshot, group.ReadManifest(snapshot), group.IsProtected(snapshot), owner);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    nlohmann::json error = {{"backup-type", BackupTypeName(snapshot.group.type)},
                            {"backup-id", snapshot.group.id},
                            {"backup-time", snapshot.time},
                            {"error", e.what()}};
    if (!snapshot.group.ns.IsRoot()) error["ns"] = snapshot.group.ns.Name();
    item = error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return item;
}

}  // namespace

ListingStream::ListingStream(const Datastore& datastore, const ListingScope& scope, const ListingCheckpoint& from,
                             ThreadPool* readers)
    : readers_(readers), walk_(datastore, scope.ns, scope.group), last_(from.after), offset_(from.offset) {
  if (from.after) walk_.Seek(from.after);
  if (from.offset == 0) piece_ = "[";
}

void ListingStream::FillLookahead() {
  while (pending_snapshots_ < kLookahead) {
    struct Job {
      Snapshot snapshot;
      std::shared_ptr<const GroupDirectory> group;
      std::optional<std::string> owner;
    };
    std::vector<Job> jobs;
    while (jobs.size() < kBatchSize) {
      std::optional<Snapshot> snapshot = walk_.Next();
      if (!snapshot) break;
      jobs.push_back(Job{std::move(*snapshot), walk_.group_directory(), walk_.owner()});
    }
    if (jobs.empty()) return;
    Batch& batch = pending_.emplace_back();
    for (const Job& job : jobs) batch.snapshots.push_back(job.snapshot);
    pending_snapshots_ += jobs.size();
    auto promise = std::make_shared<std::promise<std::vector<std::optional<std::string>>>>();
    batch.rendering = promise->get_future();
    auto render = [promise, jobs = std::move(jobs)] {
      try {
        std::vector<std::optional<std::string>> items;
        for (const Job& job : jobs) items.push_back(RenderItem(*job.group, job.snapshot, job.owner));
        promise->set_value(std::move(items));
      } catch (...) {
        promise->set_exception(std::current_exception());  // rethrown to the reader by get()
      }
    };
    if (readers_ != nullptr) {
      readers_->Submit(std::move(render));
    } else {
      render();
    }
  }
}

bool ListingStream::NextPiece() {
  piece_.clear();
  piece_pos_ = 0;
  if (closed_) return false;
  while (true) {
    FillLookahead();
    if (pending_.empty()) break;
    Batch& batch = pending_.front();
    if (batch.rendering.valid()) batch.items = batch.rendering.get();
    if (batch.next == batch.snapshots.size()) {
      pending_.pop_front();
      continue;
    }
    size_t i = batch.next++;
    --pending_snapshots_;
    if (!batch.items[i]) continue;
    piece_ = last_ ? ",\n" : "\n";
    piece_ += *batch.items[i];
    last_ = std::move(batch.snapshots[i]);
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

std::optional<std::string_view> ListingStream::SkipPiece() {
  if (piece_pos_ == piece_.size() && !NextPiece()) return std::nullopt;
  std::string_view skipped = std::string_view(piece_).substr(piece_pos_);
  offset_ += skipped.size();
  piece_pos_ = piece_.size();
  return skipped;
}

std::optional<ListingCheckpoint> ListingStream::Checkpoint() const {
  // Only between lines: the next piece then starts with the separator after last_.
  if (piece_pos_ != piece_.size() || closed_ || !last_) return std::nullopt;
  return ListingCheckpoint{offset_, last_};
}

ListingLayout ListingLayout::Measure(const Datastore& datastore, const ListingScope& scope, ThreadPool* readers) {
  ListingLayout layout;
  layout.checkpoints.push_back(ListingCheckpoint{});
  uint64_t spacing = kCheckpointSpacing;
  ListingStream stream(datastore, scope, ListingCheckpoint{}, readers);
  Sha256Hasher content;
  for (;;) {
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
    std::optional<std::string_view> piece = stream.SkipPiece();
    if (!piece) break;
    content.Update(AsBytes(*piece));
  }
  layout.size = stream.offset();
  layout.digest = content.Finish();
  return layout;
}

const ListingCheckpoint& ListingLayout::CheckpointBefore(uint64_t offset) const {
  auto it = std::upper_bound(checkpoints.begin(), checkpoints.end(), offset,
                             [](uint64_t o, const ListingCheckpoint& cp) { return o < cp.offset; });
  return *(it - 1);
}

}  // namespace cairn::fs
