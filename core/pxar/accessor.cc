#include "core/pxar/accessor.h"

#include <algorithm>
#include <functional>

namespace cairn::pxar {
namespace {

// A goodbye table larger than this is refused (PBS's producer limit is 1,048,576 entries).
constexpr uint64_t kMaxTableEntries = 1 << 22;
// The records of recently used goodbye tables kept, at most (some 170,000 records).
constexpr size_t kCachedTableBytes = 4 << 20;

Accessor::Record ReadRecord(ItemCursor& cursor, uint64_t at, uint64_t limit) {
  ByteView b = cursor.Get(at, kGoodbyeItemSize, limit);
  return Accessor::Record{LoadLE<uint64_t>(b.data()), LoadLE<uint64_t>(b.data() + 8), LoadLE<uint64_t>(b.data() + 16)};
}

}  // namespace

struct Accessor::Goodbye {
  Table table;
  std::vector<Record> records;  // in table order; empty when too many to keep

  // Record `slot` (< table.count), kept or read through `cursor`.
  Record At(ItemCursor& cursor, uint64_t slot, uint64_t dir_end) const {
    if (!records.empty()) return records[slot];
    return Read(cursor, slot, dir_end);
  }
  // Record `slot` read through `cursor`.
  Record Read(ItemCursor& cursor, uint64_t slot, uint64_t dir_end) const {
    return ReadRecord(cursor, table.goodbye_start + kHeaderSize + slot * kGoodbyeItemSize, dir_end);
  }
};

Accessor::Accessor(BlockSource& archive, BlockSource* payload, std::string description, BlockSource* contents)
    : archive_(archive), payload_(payload), contents_(payload ? *payload : contents ? *contents : archive),
      description_(std::move(description)),
      payload_description_(description_ + " (payload)"), tables_(kCachedTableBytes) {
  ItemCursor cursor(archive_, description_);
  if (cursor.archive_size() < kHeaderSize + kGoodbyeItemSize) throw cursor.Corrupt(0, "archive too small");
  ItemCursor::Header first = cursor.ReadHeader(0, cursor.archive_size());
  if (split() != (first.htype == kFormatVersion)) {
    throw cursor.Corrupt(0, split() ? "a split metadata archive must start with FORMAT_VERSION"
                                    : "a split (version 2) archive needs its payload stream");
  }
  if (split()) {
    ItemCursor payload_cursor(*payload_, payload_description_);
    if (payload_cursor.ReadHeader(0, payload_cursor.archive_size()).htype != kPayloadStartMarker) {
      throw payload_cursor.Corrupt(0, "payload stream does not start with PAYLOAD_START_MARKER");
    }
  }
  Table root = ReadTable(cursor, cursor.archive_size());
  if (root.dir_entry_start != 0) throw cursor.Corrupt(root.goodbye_start, "root goodbye tail does not point at byte 0");
}

Accessor::Table Accessor::ReadTable(ItemCursor& cursor, uint64_t dir_end) const {
  if (dir_end < kHeaderSize + kGoodbyeItemSize) throw cursor.Corrupt(dir_end, "directory too small for a goodbye table");
  Record tail = ReadRecord(cursor, dir_end - kGoodbyeItemSize, dir_end);
  if (tail.hash != kGoodbyeTailMarker) throw cursor.Corrupt(dir_end - kGoodbyeItemSize, "missing goodbye tail marker");
  if (tail.size > dir_end || tail.size < kHeaderSize + kGoodbyeItemSize || (tail.size - kHeaderSize) % kGoodbyeItemSize) {
    throw cursor.Corrupt(dir_end - kGoodbyeItemSize, "invalid goodbye table size " + std::to_string(tail.size));
  }
  Table t;
  t.goodbye_start = dir_end - tail.size;
  ItemCursor::Header h = cursor.ReadHeader(t.goodbye_start, dir_end);
  if (h.htype != kGoodbye || h.full_size != tail.size) throw cursor.Corrupt(t.goodbye_start, "expected a GOODBYE item");
  if (tail.offset > t.goodbye_start) throw cursor.Corrupt(dir_end - kGoodbyeItemSize, "goodbye tail offset out of range");
  t.dir_entry_start = t.goodbye_start - tail.offset;
  t.count = (tail.size - kHeaderSize) / kGoodbyeItemSize - 1;
  if (t.count > kMaxTableEntries) throw cursor.Corrupt(t.goodbye_start, "goodbye table too large");
  return t;
}

std::shared_ptr<const Accessor::Goodbye> Accessor::GoodbyeOf(ItemCursor& cursor, uint64_t dir_end) const {
  {
    std::lock_guard lock(tables_mu_);
    if (std::shared_ptr<const Goodbye> kept = tables_.Find(dir_end)) return kept;
  }
  auto goodbye = std::make_shared<Goodbye>();
  goodbye->table = ReadTable(cursor, dir_end);
  const uint64_t count = goodbye->table.count;
  const size_t bytes = sizeof(Goodbye) + count * sizeof(Record);
  if (count == 0 || bytes > kCachedTableBytes) return goodbye;
  goodbye->records.reserve(count);
  for (uint64_t i = 0; i < count; ++i) goodbye->records.push_back(goodbye->Read(cursor, i, dir_end));
  std::lock_guard lock(tables_mu_);
  return tables_.Insert(dir_end, std::move(goodbye), bytes);
}

Entry Accessor::Root() const {
  ItemCursor cursor(archive_, description_);
  const Table t = GoodbyeOf(cursor, cursor.archive_size())->table;
  Entry e = DecodeEntry(cursor, t.dir_entry_start, t.goodbye_start + kHeaderSize, split());
  if (e.kind != EntryKind::kDirectory) throw cursor.Corrupt(e.entry_start, "the root is not a directory");
  e.dir_end = cursor.archive_size();
  return e;
}

Entry Accessor::DecodeChild(ItemCursor& cursor, const Table& t, uint64_t rec_offset, uint64_t rec_size) const {
  const uint64_t record_at = t.goodbye_start;
  if (rec_offset > t.goodbye_start || t.goodbye_start - rec_offset < t.dir_entry_start + kHeaderSize) {
    throw cursor.Corrupt(record_at, "goodbye record points outside its directory");
  }
  const uint64_t filename_start = t.goodbye_start - rec_offset;
  uint64_t filename_size = 0;
  std::string name = ReadFilename(cursor, filename_start, t.goodbye_start, filename_size);
  const uint64_t child_entry_start = filename_start + filename_size;
  if (rec_size < filename_size) throw cursor.Corrupt(record_at, "goodbye record size smaller than the file name");
  // v2 file sizes may be inflated by the payload size (spec §3.5): bound by the parent then.
  const bool fits = rec_size <= t.goodbye_start - filename_start;
  if (!fits && !split()) throw cursor.Corrupt(record_at, "goodbye record for '" + name + "' extends past its directory");
  const uint64_t child_end = fits ? filename_start + rec_size : t.goodbye_start;
  Entry e;
  ItemCursor::Header h = cursor.ReadHeader(child_entry_start, child_end);
  if (h.htype == kHardlink) {
    e = ResolveHardlink(cursor, filename_start, child_entry_start, child_end);
  } else {
    e = DecodeEntry(cursor, child_entry_start, child_end, split());
    if (e.kind == EntryKind::kDirectory) {
      if (!fits) {
        throw cursor.Corrupt(record_at, "directory '" + name + "' extends past its parent");
      }
      e.dir_end = filename_start + rec_size;
      Table inner = ReadTable(cursor, e.dir_end);
      if (inner.dir_entry_start != e.entry_start) {
        throw cursor.Corrupt(inner.goodbye_start, "goodbye tail of '" + name + "' does not point at its entry");
      }
    }
  }
  if (e.kind == EntryKind::kFile && split()) CheckPayload(e);
  e.name = std::move(name);
  return e;
}

Entry Accessor::ResolveHardlink(ItemCursor& cursor, uint64_t filename_start, uint64_t hardlink_at,
                                uint64_t limit) const {
  ItemCursor::Header h = cursor.ReadHeader(hardlink_at, limit);
  if (h.content_size() < 10) throw cursor.Corrupt(hardlink_at, "HARDLINK item too small");
  ByteView b = cursor.Get(hardlink_at + kHeaderSize, h.content_size(), limit);
  uint64_t offset = LoadLE<uint64_t>(b.data());
  if (b.back() != 0) throw cursor.Corrupt(hardlink_at, "hardlink path without NUL");
  std::string path(AsChars(b.subspan(8, b.size() - 9)));
  if (offset == 0 || offset > filename_start) throw cursor.Corrupt(hardlink_at, "hardlink target offset out of range");
  const uint64_t target = filename_start - offset;
  uint64_t target_filename_size = 0;
  ReadFilename(cursor, target, filename_start, target_filename_size);
  ItemCursor::Header th = cursor.ReadHeader(target + target_filename_size, cursor.archive_size());
  if (th.htype == kHardlink) throw cursor.Corrupt(hardlink_at, "hardlink points at another hardlink");
  Entry e = DecodeEntry(cursor, target + target_filename_size, cursor.archive_size(), split());
  if (e.kind != EntryKind::kFile) throw cursor.Corrupt(hardlink_at, "hardlink does not point at a regular file");
  e.hardlink_path = std::move(path);
  return e;
}

void Accessor::CheckPayload(Entry& e) const {
  ItemCursor cursor(*payload_, payload_description_);
  ItemCursor::Header h = cursor.ReadHeader(e.content_offset, cursor.archive_size());
  if (h.htype != kPayload || h.content_size() != e.file_size) {
    throw cursor.Corrupt(e.content_offset, "PAYLOAD_REF does not point at a PAYLOAD item of " +
                                               std::to_string(e.file_size) + " bytes");
  }
  e.content_offset += kHeaderSize;
}

std::vector<Accessor::ChildRecord> Accessor::ChildRecords(const Entry& dir) const {
  if (dir.kind != EntryKind::kDirectory) return {};
  ItemCursor cursor(archive_, description_);
  std::shared_ptr<const Goodbye> goodbye = GoodbyeOf(cursor, dir.dir_end);
  const Table& t = goodbye->table;
  std::vector<ChildRecord> out;
  out.reserve(t.count);
  for (uint64_t i = 0; i < t.count; ++i) {
    Record r = goodbye->At(cursor, i, dir.dir_end);
    if (r.offset > t.goodbye_start || t.goodbye_start - r.offset < t.dir_entry_start + kHeaderSize) {
      throw cursor.Corrupt(t.goodbye_start, "goodbye record points outside its directory");
    }
    out.push_back(ChildRecord{r.hash, t.goodbye_start - r.offset});
  }
  return out;
}

std::vector<Entry> Accessor::List(const Entry& dir, const std::function<void(Entry&&)>& visit,
                                  const std::function<void(const Error&)>& on_bad_child) const {
  if (dir.kind != EntryKind::kDirectory) return {};
  ItemCursor cursor(archive_, description_);
  std::shared_ptr<const Goodbye> goodbye = GoodbyeOf(cursor, dir.dir_end);
  const Table& t = goodbye->table;
  // Archive order (the greatest offset back from the table first): children are then read
  // front to back, so a listing, a `find | xargs cat` or a restore reads the archive nearly
  // sequentially instead of hopping around it in hash order.
  std::vector<std::pair<uint64_t, uint64_t>> children;  // (offset back from the table, size)
  children.reserve(t.count);
  for (uint64_t i = 0; i < t.count; ++i) {
    Record r = goodbye->At(cursor, i, dir.dir_end);
    children.emplace_back(r.offset, r.size);
  }
  std::sort(children.begin(), children.end(), std::greater<>());
  std::vector<Entry> out;
  for (const auto& [offset, size] : children) {
    Entry e;
    try {
      e = DecodeChild(cursor, t, offset, size);
    } catch (const Error& error) {
      if (!on_bad_child || error.kind() != ErrorKind::kCorrupt) throw;
      on_bad_child(error);
      continue;
    }
    if (visit) {
      visit(std::move(e));
    } else {
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::optional<Entry> Accessor::Lookup(const Entry& dir, std::string_view name) const {
  if (dir.kind != EntryKind::kDirectory) return std::nullopt;
  ItemCursor cursor(archive_, description_);
  ItemCursor records(archive_, description_);
  std::shared_ptr<const Goodbye> goodbye = GoodbyeOf(records, dir.dir_end);
  const Table& t = goodbye->table;
  const uint64_t hash = HashFilename(AsBytes(name));
  // BST search; on equal hashes with another name both subtrees may hold the name (§3.4).
  // An explicit stack bounds the work by the table size.
  std::vector<uint64_t> pending{0};
  while (!pending.empty()) {
    uint64_t slot = pending.back();
    pending.pop_back();
    if (slot >= t.count) continue;
    Record r = goodbye->At(records, slot, dir.dir_end);
    if (hash < r.hash) {
      pending.push_back(2 * slot + 1);
    } else if (hash > r.hash) {
      pending.push_back(2 * slot + 2);
    } else {
      if (r.offset <= t.goodbye_start) {
        uint64_t size = 0;
        uint64_t at = t.goodbye_start - r.offset;
        if (at >= t.dir_entry_start && ReadFilename(cursor, at, t.goodbye_start, size) == name) {
          return DecodeChild(cursor, t, r.offset, r.size);
        }
      }
      pending.push_back(2 * slot + 2);
      pending.push_back(2 * slot + 1);
    }
  }
  return std::nullopt;
}

std::optional<Entry> Accessor::LookupPath(std::string_view path) const {
  Entry e = Root();
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (component.empty()) continue;
    std::optional<Entry> child = Lookup(e, component);
    if (!child) return std::nullopt;
    e = std::move(*child);
  }
  return e;
}

size_t Accessor::ReadFile(const Entry& file, uint64_t offset, std::span<uint8_t> out) const {
  if (offset >= file.file_size) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), file.file_size - offset));
  size_t got = contents_.Read(file.content_offset + offset, out.first(n));
  if (got != n) throw Truncated(file.content_offset + offset);
  return got;
}

std::vector<SharedBytes> Accessor::ReadFileShared(const Entry& file, uint64_t offset, size_t length) const {
  return ReadFileSharedFrom(contents_, file, offset, length);
}

std::vector<SharedBytes> Accessor::ReadFileSharedFrom(BlockSource& contents, const Entry& file, uint64_t offset,
                                                      size_t length) const {
  if (offset >= file.file_size) return {};
  size_t n = static_cast<size_t>(std::min<uint64_t>(length, file.file_size - offset));
  std::vector<SharedBytes> pieces = contents.ReadShared(file.content_offset + offset, n);
  size_t got = 0;
  for (const SharedBytes& piece : pieces) got += piece.bytes.size();
  if (got != n) throw Truncated(file.content_offset + offset);
  return pieces;
}

Error Accessor::Truncated(uint64_t at) const {
  return Error(ErrorKind::kCorrupt, (split() ? payload_description_ : description_) + ": pxar offset " +
                                        std::to_string(at) + ": file contents truncated");
}

}  // namespace cairn::pxar
