#include "fs/listing_json_file.h"

#include <algorithm>
#include <cstring>

namespace cairn::fs {
namespace {

// Reads continue from where the previous read of the handle stopped (the common sequential
// case costs nothing extra); any other offset restarts from the nearest checkpoint.
class ListingHandle : public OpenFile {
 public:
  ListingHandle(const FsContext& context, ListingScope scope, std::shared_ptr<const ListingLayout> layout)
      : context_(context), scope_(std::move(scope)), layout_(std::move(layout)) {}

  uint64_t size() const override { return layout_->size; }
  bool immutable() const override { return false; }

  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= layout_->size) return 0;
    out = out.first(static_cast<size_t>(std::min<uint64_t>(out.size(), layout_->size - offset)));
    std::lock_guard lock(mu_);
    if (!stream_ || stream_->offset() != offset) {
      const ListingCheckpoint& from = layout_->CheckpointBefore(offset);
      stream_.emplace(*context_.datastore, scope_, from, context_.manifest_readers.get());
      stream_->Skip(offset - from.offset);
    }
    size_t n = stream_->Produce(out);
    // The listing shrank since the handle was opened: keep the promised size.
    std::memset(out.data() + n, ' ', out.size() - n);
    if (n < out.size()) stream_.reset();
    return out.size();
  }

 private:
  const FsContext& context_;
  const ListingScope scope_;
  const std::shared_ptr<const ListingLayout> layout_;
  std::mutex mu_;
  std::optional<ListingStream> stream_;  // guarded by mu_; positioned after the last read
};

}  // namespace

ListingJsonFile::ListingJsonFile(const FsContext& context, std::string path, ListingScope scope)
    : Node(context, std::move(path)), scope_(std::move(scope)) {}

std::shared_ptr<const ListingLayout> ListingJsonFile::Layout() {
  return layout_.Get(kFreshness,
                     [&] { return ListingLayout::Measure(datastore(), scope_, context_.manifest_readers.get()); });
}

NodeAttr ListingJsonFile::Attr() { return NodeAttr{NodeType::kFile, Layout()->size, context_.mount_time, 0}; }

std::unique_ptr<OpenFile> ListingJsonFile::Open() {
  return std::make_unique<ListingHandle>(context_, scope_, Layout());
}

}  // namespace cairn::fs
