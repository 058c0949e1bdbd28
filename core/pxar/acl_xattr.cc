#include "core/pxar/acl_xattr.h"

#include <algorithm>
#include <vector>

#include "core/util/bytes.h"

namespace cairn::pxar {
namespace {

constexpr uint32_t kAclXattrVersion = 2;
constexpr uint16_t kUserObj = 0x01, kUser = 0x02, kGroupObj = 0x04, kGroup = 0x08, kMask = 0x10, kOther = 0x20;
constexpr uint32_t kUndefinedId = 0xffffffff;

struct RawEntry {
  uint16_t tag;
  uint16_t perm;
  uint32_t id;
};

std::optional<std::vector<RawEntry>> ParseRaw(std::string_view value) {
  if (value.size() < 4 || (value.size() - 4) % 8 != 0) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  if (LoadLE<uint32_t>(p) != kAclXattrVersion) return std::nullopt;
  std::vector<RawEntry> out;
  for (size_t at = 4; at < value.size(); at += 8) {
    out.push_back(RawEntry{LoadLE<uint16_t>(p + at), LoadLE<uint16_t>(p + at + 2), LoadLE<uint32_t>(p + at + 4)});
  }
  return out;
}

std::string Serialize(std::vector<RawEntry> entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const RawEntry& a, const RawEntry& b) {
    return a.tag != b.tag ? a.tag < b.tag : a.id < b.id;
  });
  Bytes b;
  AppendLE<uint32_t>(b, kAclXattrVersion);
  for (const RawEntry& e : entries) {
    AppendLE<uint16_t>(b, e.tag);
    AppendLE<uint16_t>(b, e.perm);
    AppendLE<uint32_t>(b, e.id);
  }
  return std::string(AsChars(b));
}

void AddNamed(std::vector<RawEntry>& out, uint16_t tag, const std::vector<AclEntry>& entries) {
  for (const AclEntry& e : entries) {
    out.push_back(RawEntry{tag, static_cast<uint16_t>(e.permissions & 7), static_cast<uint32_t>(e.id)});
  }
}

void SortEntries(std::vector<AclEntry>& v) { std::sort(v.begin(), v.end()); }

}  // namespace

bool ParseAccessAcl(std::string_view value, Acl& acl) {
  std::optional<std::vector<RawEntry>> raw = ParseRaw(value);
  if (!raw) return false;
  std::optional<uint64_t> group_obj;
  bool mask = false;
  for (const RawEntry& e : *raw) {
    if (e.tag == kUser) acl.users.push_back({e.id, e.perm});
    if (e.tag == kGroup) acl.groups.push_back({e.id, e.perm});
    if (e.tag == kGroupObj) group_obj = e.perm;
    if (e.tag == kMask) mask = true;
  }
  if (mask) acl.group_obj = group_obj;
  SortEntries(acl.users);
  SortEntries(acl.groups);
  return true;
}

bool ParseDefaultAcl(std::string_view value, Acl& acl) {
  std::optional<std::vector<RawEntry>> raw = ParseRaw(value);
  if (!raw) return false;
  AclDefault base;
  bool any_base = false;
  for (const RawEntry& e : *raw) {
    uint64_t* field = e.tag == kUserObj ? &base.user_obj
                      : e.tag == kGroupObj ? &base.group_obj
                      : e.tag == kOther ? &base.other
                      : e.tag == kMask ? &base.mask
                                       : nullptr;
    if (field) {
      *field = e.perm;
      any_base = true;
    }
    if (e.tag == kUser) acl.default_users.push_back({e.id, e.perm});
    if (e.tag == kGroup) acl.default_groups.push_back({e.id, e.perm});
  }
  if (any_base) acl.default_ = base;
  SortEntries(acl.default_users);
  SortEntries(acl.default_groups);
  return true;
}

std::optional<std::string> AccessAclXattr(const Acl& acl, uint64_t mode) {
  if (acl.users.empty() && acl.groups.empty() && !acl.group_obj) return std::nullopt;
  std::vector<RawEntry> raw;
  const auto perm = [](uint64_t bits) { return static_cast<uint16_t>(bits & 7); };
  raw.push_back({kUserObj, perm(mode >> 6), kUndefinedId});
  raw.push_back({kGroupObj, perm(acl.group_obj ? *acl.group_obj : mode >> 3), kUndefinedId});
  raw.push_back({kMask, perm(mode >> 3), kUndefinedId});
  raw.push_back({kOther, perm(mode), kUndefinedId});
  AddNamed(raw, kUser, acl.users);
  AddNamed(raw, kGroup, acl.groups);
  return Serialize(std::move(raw));
}

std::optional<std::string> DefaultAclXattr(const Acl& acl) {
  if (!acl.default_ && acl.default_users.empty() && acl.default_groups.empty()) return std::nullopt;
  std::vector<RawEntry> raw;
  AclDefault base = acl.default_.value_or(AclDefault{});
  const std::pair<uint16_t, uint64_t> fields[] = {
      {kUserObj, base.user_obj}, {kGroupObj, base.group_obj}, {kOther, base.other}, {kMask, base.mask}};
  for (const auto& [tag, bits] : fields) {
    if (bits != kAclNoMask) raw.push_back({tag, static_cast<uint16_t>(bits & 7), kUndefinedId});
  }
  AddNamed(raw, kUser, acl.default_users);
  AddNamed(raw, kGroup, acl.default_groups);
  return Serialize(std::move(raw));
}

}  // namespace cairn::pxar
