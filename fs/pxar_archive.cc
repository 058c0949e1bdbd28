#include "fs/pxar_archive.h"

#include "core/pxar/hardlink_counts.h"
#include "core/read/archive_reader.h"

namespace cairn::fs {
namespace {

constexpr std::string_view kMetaSuffix = ".mpxar.didx";

}  // namespace

PxarArchive::PxarArchive(const FsContext& context, const Snapshot& snapshot, const std::string& stored)
    : snapshot_(std::make_unique<SnapshotReader>(*context.datastore, snapshot, context.crypt)) {
  archive_ = OpenArchiveReader(*snapshot_, stored, *context.cache, context.read_options);
  if (stored.ends_with(kMetaSuffix)) {
    std::string payload = stored.substr(0, stored.size() - kMetaSuffix.size()) + ".ppxar.didx";
    payload_ = OpenArchiveReader(*snapshot_, payload, *context.cache, context.read_options);
  }
  accessor_ = std::make_unique<pxar::Accessor>(*archive_, payload_.get(), archive_->description());
}

uint32_t PxarArchive::LinkCount(const pxar::Entry& file) const {
  std::call_once(links_counted_, [this] {
    try {
      link_counts_ = pxar::CountHardlinks(*archive_, archive_->description());
    } catch (const Error&) {
      link_counts_.clear();  // a damaged archive: its hardlinks show one name each
    }
  });
  auto it = link_counts_.find(file.entry_start);
  return it == link_counts_.end() ? 1 : it->second;
}

}  // namespace cairn::fs
