// The chattr attributes pxar archives carry in ENTRY.flags, with PBS's feature-flag bit
// values (spec §1.5), converted from and to the Linux FS_*_FL bits of FS_IOC_GETFLAGS /
// FS_IOC_SETFLAGS. FAT attributes (hidden, system, archive) are not chattr bits and are
// left out.
#pragma once

#include <cstdint>

namespace cairn::pxar {

// PBS flag bits of the chattr bits set in `attr`.
uint64_t FlagsFromChattr(unsigned long attr);
// The chattr bits of PBS flag bits `flags`; unknown bits are dropped.
unsigned long ChattrFromFlags(uint64_t flags);
// Every chattr bit pxar can store: a restore sets exactly these and keeps the others.
unsigned long StoredChattrMask();

}  // namespace cairn::pxar
