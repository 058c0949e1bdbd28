#include "core/pxar/format.h"

#include <algorithm>
#include <bit>

namespace cairn::pxar {
namespace {

constexpr uint64_t kHashKey0 = 0x83ac3f1cfbb450db;
constexpr uint64_t kHashKey1 = 0xaa4f1b6879369fbd;

struct SipState {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

uint64_t SipHash24(uint64_t k0, uint64_t k1, ByteView data) {
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  size_t full = data.size() & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) s.Compress(LoadLE<uint64_t>(data.data() + i));
  uint64_t last = uint64_t{data.size() & 0xff} << 56;
  for (size_t i = full; i < data.size(); ++i) last |= uint64_t{data[i]} << (8 * (i - full));
  s.Compress(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void Place(const std::vector<GoodbyeItem>& sorted, std::vector<GoodbyeItem>& table, size_t count, size_t first,
           int level, size_t slot) {
  size_t p = size_t{1} << level;
  size_t t = p + p / 2 - 1;
  size_t m = count > t ? p - 1 : p - 1 - (t - count);
  table[slot] = sorted[first + m];
  if (m > 0) Place(sorted, table, m, first, level - 1, 2 * slot + 1);
  if (m + 1 < count) Place(sorted, table, count - m - 1, first + m + 1, level - 1, 2 * slot + 2);
}

}  // namespace

uint64_t MaxContentSize(uint64_t htype) {
  switch (htype) {
    case kFilename:
    case kSymlink:
      return kMaxFilenameLen + 1;
    case kHardlink:
      return 8 + kMaxPathLen + 1;
    case kDevice:
      return 16;
    case kXattr:
    case kFcaps:
      return kMaxXattrLen;
    case kAclUser:
    case kAclGroup:
    case kAclDefaultUser:
    case kAclDefaultGroup:
      return 16;
    case kAclDefault:
      return 32;
    case kAclGroupObj:
    case kQuotaProjid:
      return 8;
    case kEntry:
      return kEntrySize;
    case kPayloadRef:
    case kPayloadTailMarker:
      return 16;
    default:
      return ~uint64_t{0} - kHeaderSize;
  }
}

uint64_t HashFilename(ByteView name) { return SipHash24(kHashKey0, kHashKey1, name); }

bool IsValidFilename(std::string_view name) {
  return !name.empty() && name.size() <= kMaxFilenameLen && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

uint64_t MakeDev(uint64_t major, uint64_t minor) {
  return ((major & 0xfff) << 8) | ((major & 0xfffff000) << 32) | (minor & 0xff) | ((minor & 0xffffff00) << 12);
}
uint64_t DevMajor(uint64_t dev) { return ((dev >> 8) & 0xfff) | ((dev >> 32) & 0xfffff000); }
uint64_t DevMinor(uint64_t dev) { return (dev & 0xff) | ((dev >> 12) & 0xffffff00); }

std::vector<GoodbyeItem> BuildGoodbyeOrder(std::vector<GoodbyeItem> items) {
  std::sort(items.begin(), items.end(), [](const GoodbyeItem& a, const GoodbyeItem& b) { return a.hash < b.hash; });
  if (items.empty()) return items;
  std::vector<GoodbyeItem> table(items.size());
  Place(items, table, items.size(), 0, std::bit_width(items.size()) - 1, 0);
  return table;
}

}  // namespace cairn::pxar
