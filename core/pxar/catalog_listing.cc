#include "core/pxar/catalog_listing.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace cairn::pxar {
namespace {

std::optional<uint64_t> ChildDirectory(const Catalog& catalog, uint64_t block, std::string_view name) {
  for (const CatalogEntry& e : catalog.ReadDirectory(block)) {
    if (e.name == name) {
      if (e.type != CatalogEntryType::kDirectory) return std::nullopt;
      return e.block_offset;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> FindCatalogDirectory(const Catalog& catalog, std::string_view archive_file,
                                             std::string_view path) {
  std::optional<uint64_t> block = ChildDirectory(catalog, catalog.root_offset(), archive_file);
  while (block && !path.empty()) {
    size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (!component.empty()) block = ChildDirectory(catalog, *block, component);
  }
  return block;
}

bool MayHaveHardlinks(const Catalog& catalog, std::string_view archive_file) {
  std::optional<uint64_t> root = FindCatalogDirectory(catalog, archive_file, "");
  if (!root) return true;
  // Child blocks lie before their parents, so there are no cycles; a damaged catalog may still
  // point many entries at one block, which is read once.
  std::vector<uint64_t> pending{*root};
  std::unordered_set<uint64_t> seen{*root};
  while (!pending.empty()) {
    uint64_t block = pending.back();
    pending.pop_back();
    for (const CatalogEntry& e : catalog.ReadDirectory(block)) {
      if (e.type == CatalogEntryType::kHardlink) return true;
      if (e.type == CatalogEntryType::kDirectory && seen.insert(e.block_offset).second) pending.push_back(e.block_offset);
    }
  }
  return false;
}

std::optional<std::vector<CatalogChild>> ListFromCatalog(const Catalog& catalog, uint64_t block,
                                                         const Accessor& accessor, const Entry& dir) {
  std::vector<Accessor::ChildRecord> records = accessor.ChildRecords(dir);
  std::vector<CatalogEntry> entries = catalog.ReadDirectory(block);
  if (entries.size() != records.size()) return std::nullopt;
  std::unordered_map<uint64_t, size_t> slot_of_hash;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!slot_of_hash.emplace(records[i].hash, i).second) return std::nullopt;  // equal hashes: ask the archive
  }
  std::vector<CatalogChild> out;
  out.reserve(records.size());
  std::vector<bool> taken(records.size());
  for (CatalogEntry& e : entries) {
    auto it = slot_of_hash.find(HashFilename(AsBytes(e.name)));
    if (it == slot_of_hash.end() || taken[it->second]) return std::nullopt;
    taken[it->second] = true;
    // ENTRY (or HARDLINK) follows the FILENAME item: header, name, NUL.
    const uint64_t entry_start = records[it->second].filename_start + kHeaderSize + e.name.size() + 1;
    out.push_back(CatalogChild{std::move(e.name), e.type, entry_start});
  }
  // Archive order, as Accessor::List gives (the catalog's own order is by name, which is
  // the archive's in archives PBS writes, but nothing requires it).
  std::sort(out.begin(), out.end(), [](const CatalogChild& a, const CatalogChild& b) { return a.entry_start < b.entry_start; });
  return out;
}

}  // namespace cairn::pxar
