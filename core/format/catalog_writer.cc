#include "core/format/catalog_writer.h"

#include "core/util/error.h"

namespace cairn {

CatalogWriter::CatalogWriter(Sink sink) : sink_(std::move(sink)) {
  Write(kCatalogMagic);
  stack_.push_back(OpenDirectory{});
}

void CatalogWriter::Write(ByteView data) {
  sink_(data);
  pos_ += data.size();
}

void CatalogWriter::StartDirectory(std::string_view name) {
  if (stack_.empty()) throw Error(ErrorKind::kInvalidInput, "catalog: StartDirectory after Finish");
  stack_.push_back(OpenDirectory{std::string(name), {}});
}

void CatalogWriter::EndDirectory() {
  if (stack_.size() < 2) throw Error(ErrorKind::kInvalidInput, "catalog: EndDirectory without StartDirectory");
  OpenDirectory dir = std::move(stack_.back());
  stack_.pop_back();
  uint64_t start = WriteBlock(dir);
  stack_.back().entries.push_back(CatalogEntry{CatalogEntryType::kDirectory, std::move(dir.name), 0, 0, start});
}

void CatalogWriter::AddFile(std::string_view name, uint64_t size, int64_t mtime_secs) {
  if (stack_.size() < 2) throw Error(ErrorKind::kInvalidInput, "catalog: entries need an open directory");
  stack_.back().entries.push_back(CatalogEntry{CatalogEntryType::kFile, std::string(name), size, mtime_secs, 0});
}

void CatalogWriter::AddEntry(CatalogEntryType type, std::string_view name) {
  if (stack_.size() < 2) throw Error(ErrorKind::kInvalidInput, "catalog: entries need an open directory");
  if (type == CatalogEntryType::kDirectory || type == CatalogEntryType::kFile) {
    throw Error(ErrorKind::kInvalidInput, "catalog: AddEntry is for neither files nor directories");
  }
  stack_.back().entries.push_back(CatalogEntry{type, std::string(name), 0, 0, 0});
}

uint64_t CatalogWriter::WriteBlock(const OpenDirectory& dir) {
  const uint64_t start = pos_;
  Bytes table;
  AppendVarintU64(table, dir.entries.size());
  for (const CatalogEntry& e : dir.entries) {
    table.push_back(static_cast<uint8_t>(e.type));
    AppendVarintU64(table, e.name.size());
    table.insert(table.end(), e.name.begin(), e.name.end());
    if (e.type == CatalogEntryType::kDirectory) AppendVarintU64(table, start - e.block_offset);
    if (e.type == CatalogEntryType::kFile) {
      AppendVarintU64(table, e.size);
      AppendVarintI64(table, e.mtime);
    }
  }
  Bytes block;
  AppendVarintU64(block, table.size());
  block.insert(block.end(), table.begin(), table.end());
  Write(block);
  return start;
}

void CatalogWriter::Finish() {
  if (stack_.size() != 1) throw Error(ErrorKind::kInvalidInput, "catalog: Finish with open directories");
  uint64_t root = WriteBlock(stack_.back());
  stack_.clear();
  Bytes tail;
  AppendLE<uint64_t>(tail, root);
  Write(tail);
}

}  // namespace cairn
