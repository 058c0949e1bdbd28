// The pxar archive format (spec pxar-format.md): item types, fixed layouts, limits and the
// metadata every entry carries. Described once here; the encoder and the accessor share it.
//
//   item    := u64 htype | u64 full_size (including these 16 bytes) | content
//   entry   := ENTRY attributes (PAYLOAD | SYMLINK | DEVICE | dir_contents | nothing)
//   child   := FILENAME (entry | HARDLINK)
//   dir_contents := child* GOODBYE
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/bytes.h"

namespace cairn::pxar {

inline constexpr uint64_t kFormatVersion = 0x730f6c75df16a40d;
inline constexpr uint64_t kEntry = 0xd5956474e588acef;
inline constexpr uint64_t kEntryV1 = 0x11da850a1c1cceff;
inline constexpr uint64_t kPrelude = 0xe309d79d9f7b771b;
inline constexpr uint64_t kFilename = 0x16701121063917b3;
inline constexpr uint64_t kSymlink = 0x27f971e7dbf5dc5f;
inline constexpr uint64_t kDevice = 0x9fc9e906586d5ce9;
inline constexpr uint64_t kXattr = 0x0dab0229b57dcd03;
inline constexpr uint64_t kAclUser = 0x2ce8540a457d55b8;
inline constexpr uint64_t kAclGroup = 0x136e3eceb04c03ab;
inline constexpr uint64_t kAclGroupObj = 0x10868031e9582876;
inline constexpr uint64_t kAclDefault = 0xbbbb13415a6896f5;
inline constexpr uint64_t kAclDefaultUser = 0xc89357b40532cd1f;
inline constexpr uint64_t kAclDefaultGroup = 0xf90a8a5816038ffe;
inline constexpr uint64_t kFcaps = 0x2da9dd9db5f7fb67;
inline constexpr uint64_t kQuotaProjid = 0xe07540e82f7d1cbb;
inline constexpr uint64_t kHardlink = 0x51269c8422bd7275;
inline constexpr uint64_t kPayload = 0x28147a1b0b7c1a25;
inline constexpr uint64_t kPayloadRef = 0x419d3d6bc4ba977e;
inline constexpr uint64_t kGoodbye = 0x2fec4fa642d5731d;
inline constexpr uint64_t kGoodbyeTailMarker = 0xef5eed5b753e1555;
inline constexpr uint64_t kPayloadStartMarker = 0x834c68c2194a4ed2;
inline constexpr uint64_t kPayloadTailMarker = 0x6c72b78b984c81b5;

inline constexpr uint64_t kHeaderSize = 16;
inline constexpr uint64_t kEntrySize = 40;     // ENTRY content
inline constexpr uint64_t kEntryV1Size = 32;   // ENTRY_V1 content
inline constexpr uint64_t kGoodbyeItemSize = 24;
inline constexpr size_t kMaxFilenameLen = 4096;
inline constexpr size_t kMaxPathLen = 4096;
inline constexpr size_t kMaxXattrLen = 255 + 64 * 1024;
inline constexpr uint64_t kAclNoMask = ~uint64_t{0};

// The largest content a header of `htype` may announce (spec §1.2).
uint64_t MaxContentSize(uint64_t htype);

// SipHash-2-4 of a file name with the pxar keys (spec §3.2), for goodbye tables.
uint64_t HashFilename(ByteView name);

// True for a name a directory entry may carry: 1..4096 bytes, no '/', no NUL, not "." or "..".
bool IsValidFilename(std::string_view name);

// ENTRY (spec §1.4). mtime_secs is floored for times before the epoch; 0 <= nanos < 1e9.
struct Stat {
  uint64_t mode = 0;   // full st_mode
  uint64_t flags = 0;  // PBS chattr/FAT feature bits, kept opaque
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_secs = 0;
  uint32_t mtime_nanos = 0;

  bool operator==(const Stat&) const = default;
};

struct Xattr {
  std::string name;   // with namespace prefix, e.g. "user.comment"
  std::string value;  // raw bytes, may contain NULs
  bool operator==(const Xattr&) const = default;
};

// One named ACL entry: uid or gid with READ=4/WRITE=2/EXECUTE=1 permissions.
struct AclEntry {
  uint64_t id = 0;
  uint64_t permissions = 0;
  bool operator==(const AclEntry&) const = default;
  auto operator<=>(const AclEntry&) const = default;
};

// ACL_DEFAULT: base permissions of a directory's default ACL, kAclNoMask when absent.
struct AclDefault {
  uint64_t user_obj = kAclNoMask;
  uint64_t group_obj = kAclNoMask;
  uint64_t other = kAclNoMask;
  uint64_t mask = kAclNoMask;
  bool operator==(const AclDefault&) const = default;
};

struct Acl {
  std::vector<AclEntry> users;          // ACL_USER
  std::vector<AclEntry> groups;         // ACL_GROUP
  std::optional<uint64_t> group_obj;    // ACL_GROUP_OBJ (only with a mask)
  std::optional<AclDefault> default_;   // ACL_DEFAULT
  std::vector<AclEntry> default_users;  // ACL_DEFAULT_USER
  std::vector<AclEntry> default_groups; // ACL_DEFAULT_GROUP

  bool empty() const {
    return users.empty() && groups.empty() && !group_obj && !default_ && default_users.empty() &&
           default_groups.empty();
  }
  bool operator==(const Acl&) const = default;
};

// Everything an entry stores besides its body.
struct Metadata {
  Stat stat;
  std::vector<Xattr> xattrs;
  Acl acl;
  std::optional<std::string> fcaps;   // raw security.capability value
  std::optional<uint64_t> quota_projid;
  bool operator==(const Metadata&) const = default;
};

// Linux st_rdev (glibc encoding) from a DEVICE item's major/minor and back.
uint64_t MakeDev(uint64_t major, uint64_t minor);
uint64_t DevMajor(uint64_t dev);
uint64_t DevMinor(uint64_t dev);

// One record of a goodbye table (spec §3.1).
struct GoodbyeItem {
  uint64_t hash;
  uint64_t offset;  // goodbye_start − filename_start (tail: goodbye_start − dir_entry_start)
  uint64_t size;    // bytes from FILENAME start to the end of the child (tail: GOODBYE full_size)
};

// Sorts `items` by hash and permutes them into the BST array order of casync's camakebst
// (spec §3.3), which PBS byte-compatibility requires.
std::vector<GoodbyeItem> BuildGoodbyeOrder(std::vector<GoodbyeItem> items);

}  // namespace cairn::pxar
