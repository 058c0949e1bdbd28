#include "core/pxar/encoder.h"

#include <sys/stat.h>

#include "core/util/error.h"

namespace cairn::pxar {
namespace {

Error Invalid(std::string_view name, const std::string& what) {
  return Error(ErrorKind::kInvalidInput, "pxar: '" + std::string(name) + "': " + what);
}

Bytes StatBytes(const Stat& st) {
  Bytes b;
  b.reserve(kEntrySize);
  AppendLE<uint64_t>(b, st.mode);
  AppendLE<uint64_t>(b, st.flags);
  AppendLE<uint32_t>(b, st.uid);
  AppendLE<uint32_t>(b, st.gid);
  AppendLE<int64_t>(b, st.mtime_secs);
  AppendLE<uint32_t>(b, st.mtime_nanos);
  AppendLE<uint32_t>(b, 0);
  return b;
}

Bytes Pair(uint64_t a, uint64_t b) {
  Bytes out;
  AppendLE<uint64_t>(out, a);
  AppendLE<uint64_t>(out, b);
  return out;
}

Bytes WithNul(std::string_view s) {
  Bytes b(s.begin(), s.end());
  b.push_back(0);
  return b;
}

}  // namespace

Encoder::Encoder(Sink sink, const Metadata& root, Sink payload, std::string_view prelude)
    : sink_(std::move(sink)), payload_(std::move(payload)) {
  if (!S_ISDIR(root.stat.mode)) throw Invalid("/", "the root of an archive must be a directory");
  if (payload_) {
    Bytes marker;
    AppendLE<uint64_t>(marker, kPayloadStartMarker);
    AppendLE<uint64_t>(marker, kHeaderSize);
    WritePayload(marker);
    Bytes version;
    AppendLE<uint64_t>(version, 2);
    WriteItem(kFormatVersion, version);
    if (!prelude.empty()) WriteItem(kPrelude, AsBytes(prelude));
  }
  // The root's goodbye tail points at byte 0 also in v2 (spec §3.1).
  stack_.push_back(OpenDirectory{0, 0, 0, {}});
  WriteMetadata(root);
}

void Encoder::WritePayload(ByteView data) {
  if (data.empty()) return;
  payload_(data);
  payload_pos_ += data.size();
}

void Encoder::Write(ByteView data) {
  if (data.empty()) return;
  sink_(data);
  pos_ += data.size();
}

void Encoder::WriteHeader(uint64_t htype, uint64_t content_size) {
  uint8_t header[kHeaderSize];
  StoreLE<uint64_t>(header, htype);
  StoreLE<uint64_t>(header + 8, content_size + kHeaderSize);
  Write(header);
}

void Encoder::WriteItem(uint64_t htype, ByteView content) {
  if (content.size() > MaxContentSize(htype)) {
    throw Error(ErrorKind::kInvalidInput, "pxar: item of " + std::to_string(content.size()) + " bytes is too large");
  }
  WriteHeader(htype, content.size());
  Write(content);
}

void Encoder::WriteMetadata(const Metadata& meta) {
  if (meta.stat.mtime_nanos >= 1000000000) throw Invalid("", "mtime nanoseconds out of range");
  WriteItem(kEntry, StatBytes(meta.stat));
  for (const Xattr& x : meta.xattrs) {
    if (x.name.empty() || x.name.find('\0') != std::string::npos) throw Invalid(x.name, "invalid xattr name");
    Bytes b = WithNul(x.name);
    b.insert(b.end(), x.value.begin(), x.value.end());
    if (b.size() > kMaxXattrLen) throw Invalid(x.name, "xattr too large for pxar");
    WriteItem(kXattr, b);
  }
  const Acl& acl = meta.acl;
  for (const AclEntry& e : acl.users) WriteItem(kAclUser, Pair(e.id, e.permissions));
  for (const AclEntry& e : acl.groups) WriteItem(kAclGroup, Pair(e.id, e.permissions));
  if (acl.group_obj) {
    Bytes b;
    AppendLE<uint64_t>(b, *acl.group_obj);
    WriteItem(kAclGroupObj, b);
  }
  if (acl.default_) {
    Bytes b = Pair(acl.default_->user_obj, acl.default_->group_obj);
    AppendLE<uint64_t>(b, acl.default_->other);
    AppendLE<uint64_t>(b, acl.default_->mask);
    WriteItem(kAclDefault, b);
  }
  for (const AclEntry& e : acl.default_users) WriteItem(kAclDefaultUser, Pair(e.id, e.permissions));
  for (const AclEntry& e : acl.default_groups) WriteItem(kAclDefaultGroup, Pair(e.id, e.permissions));
  if (meta.fcaps) WriteItem(kFcaps, AsBytes(*meta.fcaps));
  if (meta.quota_projid) {
    Bytes b;
    AppendLE<uint64_t>(b, *meta.quota_projid);
    WriteItem(kQuotaProjid, b);
  }
}

void Encoder::CheckIdle(std::string_view what) const {
  if (finished_) throw Error(ErrorKind::kInvalidInput, "pxar: " + std::string(what) + " after Finish");
  if (in_file_) throw Error(ErrorKind::kInvalidInput, "pxar: " + std::string(what) + " inside file '" + file_name_ + "'");
}

uint64_t Encoder::BeginChild(std::string_view name) {
  CheckIdle(name);
  if (!IsValidFilename(name)) throw Invalid(name, "invalid file name");
  uint64_t start = pos_;
  WriteItem(kFilename, WithNul(name));
  return start;
}

void Encoder::EndChild(std::string_view name, uint64_t filename_start) {
  stack_.back().children.push_back(GoodbyeItem{HashFilename(AsBytes(name)), filename_start, pos_ - filename_start});
}

uint64_t Encoder::BeginFile(std::string_view name, const Metadata& meta, uint64_t size) {
  if (!S_ISREG(meta.stat.mode)) throw Invalid(name, "BeginFile needs a regular-file mode");
  uint64_t start = BeginChild(name);
  WriteMetadata(meta);
  Bytes header;
  AppendLE<uint64_t>(header, kPayload);
  AppendLE<uint64_t>(header, size + kHeaderSize);
  if (payload_) {
    Bytes ref;
    AppendLE<uint64_t>(ref, payload_pos_);
    AppendLE<uint64_t>(ref, size);
    WritePayload(header);
    WriteItem(kPayloadRef, ref);
  } else {
    Write(header);
  }
  in_file_ = true;
  file_size_ = size;
  file_name_ = std::string(name);
  file_start_ = start;
  file_remaining_ = size;
  return start;
}

void Encoder::WriteFileData(ByteView data) {
  if (!in_file_) throw Error(ErrorKind::kInvalidInput, "pxar: file data outside a file");
  if (data.size() > file_remaining_) throw Invalid(file_name_, "more data than the announced size");
  if (payload_) {
    WritePayload(data);
  } else {
    Write(data);
  }
  file_remaining_ -= data.size();
}

void Encoder::EndFile() {
  if (!in_file_) throw Error(ErrorKind::kInvalidInput, "pxar: EndFile outside a file");
  if (file_remaining_ != 0) throw Invalid(file_name_, std::to_string(file_remaining_) + " bytes of data missing");
  in_file_ = false;
  EndChild(file_name_, file_start_);
  // v2 quirk of the streaming encoder (spec §3.5): the record size includes the payload.
  if (payload_) stack_.back().children.back().size += file_size_;
}

void Encoder::AddSymlink(std::string_view name, const Metadata& meta, std::string_view target) {
  if (!S_ISLNK(meta.stat.mode)) throw Invalid(name, "AddSymlink needs a symlink mode");
  if (target.empty() || target.size() > kMaxPathLen || target.find('\0') != std::string_view::npos) {
    throw Invalid(name, "invalid symlink target");
  }
  uint64_t start = BeginChild(name);
  WriteMetadata(meta);
  WriteItem(kSymlink, WithNul(target));
  EndChild(name, start);
}

void Encoder::AddDevice(std::string_view name, const Metadata& meta, uint64_t major, uint64_t minor) {
  if (!S_ISCHR(meta.stat.mode) && !S_ISBLK(meta.stat.mode)) throw Invalid(name, "AddDevice needs a device mode");
  uint64_t start = BeginChild(name);
  WriteMetadata(meta);
  WriteItem(kDevice, Pair(major, minor));
  EndChild(name, start);
}

void Encoder::AddSpecial(std::string_view name, const Metadata& meta) {
  if (!S_ISFIFO(meta.stat.mode) && !S_ISSOCK(meta.stat.mode)) throw Invalid(name, "AddSpecial needs a FIFO or socket mode");
  uint64_t start = BeginChild(name);
  WriteMetadata(meta);
  EndChild(name, start);
}

void Encoder::AddHardlink(std::string_view name, std::string_view target_path, uint64_t target_offset) {
  if (target_path.empty() || target_path.size() > kMaxPathLen || target_path.find('\0') != std::string_view::npos) {
    throw Invalid(name, "invalid hardlink target path");
  }
  if (target_offset >= pos_) throw Invalid(name, "hardlink target must come before the link");
  uint64_t start = BeginChild(name);
  Bytes b;
  AppendLE<uint64_t>(b, start - target_offset);
  b.insert(b.end(), target_path.begin(), target_path.end());
  b.push_back(0);
  WriteItem(kHardlink, b);
  EndChild(name, start);
}

void Encoder::BeginDirectory(std::string_view name, const Metadata& meta) {
  if (!S_ISDIR(meta.stat.mode)) throw Invalid(name, "BeginDirectory needs a directory mode");
  uint64_t start = BeginChild(name);
  stack_.push_back(OpenDirectory{pos_, start, HashFilename(AsBytes(name)), {}});
  WriteMetadata(meta);
}

void Encoder::CloseDirectory(OpenDirectory& dir) {
  const uint64_t goodbye_start = pos_;
  for (GoodbyeItem& item : dir.children) item.offset = goodbye_start - item.offset;
  std::vector<GoodbyeItem> table = BuildGoodbyeOrder(std::move(dir.children));
  const uint64_t full_size = kHeaderSize + kGoodbyeItemSize * (table.size() + 1);
  table.push_back(GoodbyeItem{kGoodbyeTailMarker, goodbye_start - dir.entry_start, full_size});
  Bytes b;
  b.reserve(full_size);
  AppendLE<uint64_t>(b, kGoodbye);
  AppendLE<uint64_t>(b, full_size);
  for (const GoodbyeItem& item : table) {
    AppendLE<uint64_t>(b, item.hash);
    AppendLE<uint64_t>(b, item.offset);
    AppendLE<uint64_t>(b, item.size);
  }
  Write(b);
}

void Encoder::EndDirectory() {
  CheckIdle("EndDirectory");
  if (stack_.size() < 2) throw Error(ErrorKind::kInvalidInput, "pxar: EndDirectory without BeginDirectory");
  OpenDirectory dir = std::move(stack_.back());
  stack_.pop_back();
  CloseDirectory(dir);
  stack_.back().children.push_back(GoodbyeItem{dir.name_hash, dir.filename_start, pos_ - dir.filename_start});
}

void Encoder::Finish() {
  CheckIdle("Finish");
  if (stack_.size() != 1) throw Error(ErrorKind::kInvalidInput, "pxar: Finish with open directories");
  CloseDirectory(stack_.back());
  stack_.clear();
  if (payload_) {
    Bytes marker;
    AppendLE<uint64_t>(marker, kPayloadTailMarker);
    AppendLE<uint64_t>(marker, kHeaderSize);
    WritePayload(marker);
  }
  finished_ = true;
}

}  // namespace cairn::pxar
