#include "core/pxar/decoder.h"

#include <sys/stat.h>

#include <algorithm>

namespace cairn::pxar {
namespace {

constexpr uint64_t kWindowSize = 64 << 10;

uint64_t U64(ByteView b, size_t at) { return LoadLE<uint64_t>(b.data() + at); }

AclEntry ReadAclEntry(ByteView b) { return AclEntry{U64(b, 0), U64(b, 8)}; }

}  // namespace

ItemCursor::ItemCursor(BlockSource& source, const std::string& description)
    : source_(source), description_(description), size_(source.size()) {}

Error ItemCursor::Corrupt(uint64_t offset, const std::string& what) const {
  return Error(ErrorKind::kCorrupt, description_ + ": pxar offset " + std::to_string(offset) + ": " + what);
}

ByteView ItemCursor::Get(uint64_t offset, uint64_t n, uint64_t limit) {
  limit = std::min(limit, size_);
  if (offset > limit || n > limit - offset) {
    throw Corrupt(offset, std::to_string(n) + " bytes needed, but the " +
                              (limit == size_ ? std::string("archive ends") : std::string("enclosing item ends")) +
                              " at " + std::to_string(limit));
  }
  if (offset < window_start_ || offset + n > window_start_ + window_.size()) {
    Fill(offset, std::min(std::max<uint64_t>(n, kWindowSize), size_ - offset));
  }
  return window_.subspan(offset - window_start_, n);
}

void ItemCursor::Fill(uint64_t offset, uint64_t length) {
  std::vector<SharedBytes> pieces = source_.ReadShared(offset, length);
  window_start_ = offset;
  if (pieces.size() == 1 && pieces[0].owner) {
    pinned_ = std::move(pieces[0].owner);
    window_ = pieces[0].bytes;
  } else {
    pinned_.reset();
    copy_.clear();
    for (const SharedBytes& piece : pieces) {
      if (piece.owner) {
        copy_.insert(copy_.end(), piece.bytes.begin(), piece.bytes.end());
      } else {
        copy_.resize(copy_.size() + piece.bytes.size());  // a run of zeros
      }
    }
    window_ = copy_;
  }
  if (window_.size() != length) throw Corrupt(offset, "short read");
}

ItemCursor::Header ItemCursor::ReadHeader(uint64_t offset, uint64_t limit) {
  ByteView b = Get(offset, kHeaderSize, limit);
  Header h{U64(b, 0), U64(b, 8)};
  if (h.full_size < kHeaderSize) throw Corrupt(offset, "item size " + std::to_string(h.full_size) + " below 16");
  if (h.content_size() > MaxContentSize(h.htype)) {
    throw Corrupt(offset, "item of " + std::to_string(h.full_size) + " bytes is too large for its type");
  }
  if (h.full_size > std::min(limit, size_) - offset) {
    throw Corrupt(offset, "item of " + std::to_string(h.full_size) + " bytes extends past " +
                              std::to_string(std::min(limit, size_)));
  }
  return h;
}

std::string ReadFilename(ItemCursor& cursor, uint64_t offset, uint64_t limit, uint64_t& full_size) {
  ItemCursor::Header h = cursor.ReadHeader(offset, limit);
  if (h.htype != kFilename) throw cursor.Corrupt(offset, "expected a FILENAME item");
  if (h.content_size() < 2) throw cursor.Corrupt(offset, "empty file name");
  ByteView b = cursor.Get(offset + kHeaderSize, h.content_size(), limit);
  if (b.back() != 0) throw cursor.Corrupt(offset, "file name without terminating NUL");
  std::string name(AsChars(b.first(b.size() - 1)));
  if (!IsValidFilename(name)) throw cursor.Corrupt(offset, "invalid file name '" + name + "'");
  full_size = h.full_size;
  return name;
}

Entry DecodeEntry(ItemCursor& cursor, uint64_t entry_start, uint64_t limit, bool split) {
  Entry e;
  uint64_t pos = entry_start;
  ItemCursor::Header h = cursor.ReadHeader(pos, limit);
  if (pos == 0 && h.htype == kFormatVersion) {
    if (h.content_size() != 8) throw cursor.Corrupt(pos, "FORMAT_VERSION item must hold 8 bytes");
    uint64_t version = U64(cursor.Get(pos + kHeaderSize, 8, limit), 0);
    if (version != 1 && version != 2) throw cursor.Corrupt(pos, "unsupported format version " + std::to_string(version));
    pos += h.full_size;
    h = cursor.ReadHeader(pos, limit);
    if (h.htype == kPrelude) {
      pos += h.full_size;
      h = cursor.ReadHeader(pos, limit);
    }
  }
  e.entry_start = pos;
  if (h.htype == kEntry) {
    if (h.content_size() != kEntrySize) throw cursor.Corrupt(pos, "ENTRY item must hold 40 bytes");
    ByteView b = cursor.Get(pos + kHeaderSize, kEntrySize, limit);
    e.meta.stat = Stat{U64(b, 0), U64(b, 8), LoadLE<uint32_t>(b.data() + 16), LoadLE<uint32_t>(b.data() + 20),
                       LoadLE<int64_t>(b.data() + 24), LoadLE<uint32_t>(b.data() + 32)};
    if (e.meta.stat.mtime_nanos >= 1000000000) throw cursor.Corrupt(pos, "mtime nanoseconds out of range");
  } else if (h.htype == kEntryV1) {
    if (h.content_size() != kEntryV1Size) throw cursor.Corrupt(pos, "ENTRY_V1 item must hold 32 bytes");
    ByteView b = cursor.Get(pos + kHeaderSize, kEntryV1Size, limit);
    uint64_t mtime = U64(b, 24);
    e.meta.stat = Stat{U64(b, 0), U64(b, 8), LoadLE<uint32_t>(b.data() + 16), LoadLE<uint32_t>(b.data() + 20),
                       static_cast<int64_t>(mtime / 1000000000), static_cast<uint32_t>(mtime % 1000000000)};
  } else {
    throw cursor.Corrupt(pos, "expected an ENTRY item");
  }
  pos += h.full_size;
  const uint64_t mode = e.meta.stat.mode;
  Acl& acl = e.meta.acl;
  auto exact = [&](const ItemCursor::Header& item, uint64_t size, const char* what) {
    if (item.content_size() != size) throw cursor.Corrupt(pos, std::string(what) + " item has the wrong size");
    return cursor.Get(pos + kHeaderSize, size, limit);
  };
  auto once = [&](bool present, const char* what) {
    if (present) throw cursor.Corrupt(pos, std::string("second ") + what + " item of one entry");
  };
  for (;;) {
    if (pos == std::min(limit, cursor.archive_size())) {
      // A FIFO or socket whose range ends with it (random access to a single entry).
      if (S_ISFIFO(mode) || S_ISSOCK(mode)) {
        e.kind = S_ISFIFO(mode) ? EntryKind::kFifo : EntryKind::kSocket;
        return e;
      }
      throw cursor.Corrupt(pos, "entry ends without its body");
    }
    h = cursor.ReadHeader(pos, limit);
    switch (h.htype) {
      case kXattr: {
        ByteView b = cursor.Get(pos + kHeaderSize, h.content_size(), limit);
        auto nul = std::find(b.begin(), b.end(), uint8_t{0});
        if (nul == b.end() || nul == b.begin()) throw cursor.Corrupt(pos, "XATTR item without a name");
        size_t name_len = static_cast<size_t>(nul - b.begin());
        e.meta.xattrs.push_back(
            Xattr{std::string(AsChars(b.first(name_len))), std::string(AsChars(b.subspan(name_len + 1)))});
        break;
      }
      case kAclUser:
        acl.users.push_back(ReadAclEntry(exact(h, 16, "ACL_USER")));
        break;
      case kAclGroup:
        acl.groups.push_back(ReadAclEntry(exact(h, 16, "ACL_GROUP")));
        break;
      case kAclDefaultUser:
        acl.default_users.push_back(ReadAclEntry(exact(h, 16, "ACL_DEFAULT_USER")));
        break;
      case kAclDefaultGroup:
        acl.default_groups.push_back(ReadAclEntry(exact(h, 16, "ACL_DEFAULT_GROUP")));
        break;
      case kAclGroupObj:
        once(acl.group_obj.has_value(), "ACL_GROUP_OBJ");
        acl.group_obj = U64(exact(h, 8, "ACL_GROUP_OBJ"), 0);
        break;
      case kAclDefault: {
        once(acl.default_.has_value(), "ACL_DEFAULT");
        ByteView b = exact(h, 32, "ACL_DEFAULT");
        acl.default_ = AclDefault{U64(b, 0), U64(b, 8), U64(b, 16), U64(b, 24)};
        break;
      }
      case kFcaps:
        once(e.meta.fcaps.has_value(), "FCAPS");
        e.meta.fcaps = std::string(AsChars(cursor.Get(pos + kHeaderSize, h.content_size(), limit)));
        break;
      case kQuotaProjid:
        once(e.meta.quota_projid.has_value(), "QUOTA_PROJID");
        e.meta.quota_projid = U64(exact(h, 8, "QUOTA_PROJID"), 0);
        break;
      case kPayload:
        if (split) throw cursor.Corrupt(pos, "PAYLOAD item in a split archive");
        if (!S_ISREG(mode)) throw cursor.Corrupt(pos, "file contents for an entry whose mode is not a regular file");
        e.kind = EntryKind::kFile;
        e.file_size = h.content_size();
        e.content_offset = pos + kHeaderSize;
        return e;
      case kPayloadRef: {
        if (!split) throw cursor.Corrupt(pos, "PAYLOAD_REF item in a unified archive");
        if (!S_ISREG(mode)) throw cursor.Corrupt(pos, "file contents for an entry whose mode is not a regular file");
        ByteView b = exact(h, 16, "PAYLOAD_REF");
        e.kind = EntryKind::kFile;
        e.content_offset = U64(b, 0);  // of the PAYLOAD header; the accessor checks and adjusts
        e.file_size = U64(b, 8);
        return e;
      }
      case kSymlink: {
        if (!S_ISLNK(mode)) throw cursor.Corrupt(pos, "symlink target for an entry whose mode is not a symlink");
        ByteView b = cursor.Get(pos + kHeaderSize, h.content_size(), limit);
        if (b.size() < 2 || b.back() != 0) throw cursor.Corrupt(pos, "symlink target empty or without NUL");
        e.link_target = std::string(AsChars(b.first(b.size() - 1)));
        if (e.link_target.find('\0') != std::string::npos) throw cursor.Corrupt(pos, "NUL inside a symlink target");
        e.kind = EntryKind::kSymlink;
        return e;
      }
      case kDevice: {
        if (!S_ISCHR(mode) && !S_ISBLK(mode)) throw cursor.Corrupt(pos, "device numbers for an entry that is no device");
        ByteView b = exact(h, 16, "DEVICE");
        e.dev_major = U64(b, 0);
        e.dev_minor = U64(b, 8);
        e.kind = EntryKind::kDevice;
        return e;
      }
      case kFilename:
      case kGoodbye:
        if (S_ISFIFO(mode)) {
          e.kind = EntryKind::kFifo;
        } else if (S_ISSOCK(mode)) {
          e.kind = EntryKind::kSocket;
        } else if (S_ISDIR(mode)) {
          e.kind = EntryKind::kDirectory;
        } else {
          throw cursor.Corrupt(pos, "entry without a body whose mode is neither directory, FIFO nor socket");
        }
        return e;
      default:
        throw cursor.Corrupt(pos, "unexpected item type in an entry");
    }
    pos += h.full_size;
  }
}

}  // namespace cairn::pxar
