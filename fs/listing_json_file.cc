#include "fs/listing_json_file.h"

#include <algorithm>
#include <cstring>

namespace cairn::fs {
namespace {

// Reads of one version. They continue from where the previous read stopped (the common
// sequential case costs nothing extra); any other offset restarts from the nearest checkpoint.
class VersionReader : public FileReader {
 public:
  VersionReader(const FsContext& context, ListingScope scope, std::shared_ptr<const ListingLayout> layout)
      : context_(context), scope_(std::move(scope)), layout_(std::move(layout)) {}

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
    // The listing shrank since the version was measured: keep its size.
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

std::shared_ptr<ListingJsonFile> ListingJsonFile::Current(const FsContext& context, const std::string& path,
                                                          ListingScope scope, RecentValue<ListingLayout>& measured) {
  std::shared_ptr<const ListingLayout> layout = measured.Get(
      kFreshness, [&] { return ListingLayout::Measure(*context.datastore, scope, context.manifest_readers.get()); });
  return std::make_shared<ListingJsonFile>(context, path, std::move(scope), std::move(layout));
}

ListingJsonFile::ListingJsonFile(const FsContext& context, const std::string& path, ListingScope scope,
                                 std::shared_ptr<const ListingLayout> layout)
    : Node(context, path, VersionedInodeOf(context, path, layout->digest)),
      scope_(std::move(scope)),
      layout_(std::move(layout)) {}

NodeAttr ListingJsonFile::Attr() { return NodeAttr{NodeType::kFile, layout_->size, context_.mount_time, 0}; }

std::unique_ptr<FileReader> ListingJsonFile::Open() {
  return std::make_unique<VersionReader>(context_, scope_, layout_);
}

}  // namespace cairn::fs
