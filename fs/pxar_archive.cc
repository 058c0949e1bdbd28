#include "fs/pxar_archive.h"

#include "core/pxar/catalog_listing.h"
#include "core/pxar/hardlink_counts.h"
#include "core/read/archive_reader.h"

namespace cairn::fs {
namespace {

constexpr std::string_view kMetaSuffix = ".mpxar.didx";
constexpr char kCatalogFile[] = "catalog.pcat1.didx";
// A larger catalog (some 10 million entries) is not held in memory; listings use the archive.
constexpr uint64_t kMaxCatalogSize = 256 << 20;

}  // namespace

PxarArchive::PxarArchive(const FsContext& context, const Snapshot& snapshot, const std::string& stored)
    : stored_(stored), cache_(*context.cache), read_options_(context.read_options),
      snapshot_(std::make_unique<SnapshotReader>(*context.datastore, snapshot, context.crypt)) {
  // Browsing reads metadata without read-ahead (see pxar::Accessor); file contents with it.
  archive_ = OpenArchiveReader(*snapshot_, stored, *context.cache, ReadOptions{0});
  if (stored.ends_with(kMetaSuffix)) {
    std::string payload = stored.substr(0, stored.size() - kMetaSuffix.size()) + ".ppxar.didx";
    contents_ = OpenArchiveReader(*snapshot_, payload, *context.cache, context.read_options);
    accessor_ = std::make_unique<pxar::Accessor>(*archive_, contents_.get(), archive_->description());
  } else {
    contents_ = archive_->Reopen(context.read_options);
    accessor_ = std::make_unique<pxar::Accessor>(*archive_, nullptr, archive_->description(), contents_.get());
  }
  push_contents_ = contents_->Reopen(context.read_options);
  walk_ = std::make_unique<WalkReadAhead>(*archive_, context.read_options.readahead);
}

const Catalog* PxarArchive::catalog() const {
  std::call_once(catalog_loaded_, [this] {
    if (stored_.ends_with(kMetaSuffix)) return;  // split archives have none (the .mpxar is their catalog)
    bool listed = false;
    for (const ManifestFile& f : snapshot_->manifest().files()) listed |= f.filename == kCatalogFile;
    if (!listed) return;
    try {
      std::unique_ptr<IndexReader> reader = OpenArchiveReader(*snapshot_, kCatalogFile, cache_, read_options_);
      if (reader->size() > kMaxCatalogSize) return;
      Bytes data(reader->size());
      if (reader->Read(0, data) != data.size()) return;
      catalog_ = std::make_unique<const Catalog>(Catalog::Parse(std::move(data)));
    } catch (const Error&) {
      catalog_.reset();  // unreadable or damaged: list from the archive
    }
  });
  return catalog_.get();
}

uint32_t PxarArchive::LinkCount(uint64_t entry_start) const {
  std::call_once(links_counted_, [this] {
    try {
      // The catalog (much smaller than a unified archive) tells when there is nothing to count.
      const Catalog* listed = catalog();
      if (listed && !pxar::MayHaveHardlinks(*listed, stored_)) return;
      // One sequential pass over the metadata: a reader of its own that reads ahead.
      std::unique_ptr<IndexReader> walk = archive_->Reopen(read_options_);
      link_counts_ = pxar::CountHardlinks(*walk, archive_->description());
    } catch (const Error&) {
      link_counts_.clear();  // a damaged archive: its hardlinks show one name each
    }
  });
  auto it = link_counts_.find(entry_start);
  return it == link_counts_.end() ? 1 : it->second;
}

std::vector<pxar::FollowingFile> PxarArchive::FilesToPushAfter(uint64_t entry_start) const {
  // Small files only: the kernel reads larger ones in few requests, with read-ahead.
  static constexpr pxar::FollowingLimits kLimits{.max_files = 128, .max_bytes = 4 << 20, .max_file_size = 256 << 10};
  if (read_options_.readahead == 0) return {};  // no reading ahead of any kind
  {
    std::lock_guard lock(push_mu_);
    if (entry_start >= pushed_from_ && entry_start <= pushed_to_) return {};
    pushed_from_ = entry_start;
    pushed_to_ = UINT64_MAX;
  }
  std::vector<pxar::FollowingFile> files;
  try {
    files = pxar::FollowingFiles(*archive_, archive_->description(), entry_start, kLimits);
  } catch (const Error&) {
    // Nothing pushed past the damage.
  }
  std::lock_guard lock(push_mu_);
  if (pushed_from_ == entry_start) pushed_to_ = files.empty() ? entry_start : files.back().entry_start;
  return files;
}

}  // namespace cairn::fs
