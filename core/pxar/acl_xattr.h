// POSIX ACLs as Linux stores them in the `system.posix_acl_access` / `system.posix_acl_default`
// xattrs, converted to and from pxar's ACL items (spec §1.4, §6.2). The backup reads ACLs
// this way (no libacl), FUSE shows them this way and restore sets them this way.
//
//   xattr := u32 version (2) | { u16 tag | u16 perm | u32 id }*   (sorted by tag, then id)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/pxar/format.h"

namespace cairn::pxar {

inline constexpr char kAclAccessXattr[] = "system.posix_acl_access";
inline constexpr char kAclDefaultXattr[] = "system.posix_acl_default";

// Adds the entries of an access ACL xattr value to `acl` (users, groups, and group_obj when
// the ACL has a mask). Returns false for a value that is not a valid ACL.
bool ParseAccessAcl(std::string_view value, Acl& acl);
// Adds the entries of a default ACL xattr value to `acl` (default_, default_users/groups).
bool ParseDefaultAcl(std::string_view value, Acl& acl);

// The access ACL xattr value for `acl` and the entry's `mode`, or nullopt when the ACL
// holds nothing beyond the mode bits.
std::optional<std::string> AccessAclXattr(const Acl& acl, uint64_t mode);
// The default ACL xattr value, or nullopt when there is no default ACL.
std::optional<std::string> DefaultAclXattr(const Acl& acl);

}  // namespace cairn::pxar
