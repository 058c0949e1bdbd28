#include "core/pxar/file_flags.h"

#include <linux/fs.h>

#include <utility>

namespace cairn::pxar {
namespace {

constexpr std::pair<unsigned long, uint64_t> kChattrToFlag[] = {
    {FS_APPEND_FL, 0x10000},     {FS_NOATIME_FL, 0x20000}, {FS_COMPR_FL, 0x40000},
    {FS_NOCOW_FL, 0x80000},      {FS_NODUMP_FL, 0x100000}, {FS_DIRSYNC_FL, 0x200000},
    {FS_IMMUTABLE_FL, 0x400000}, {FS_SYNC_FL, 0x800000},   {FS_NOCOMP_FL, 0x1000000},
    {FS_PROJINHERIT_FL, 0x2000000}};

}  // namespace

uint64_t FlagsFromChattr(unsigned long attr) {
  uint64_t flags = 0;
  for (const auto& [chattr, flag] : kChattrToFlag) {
    if (attr & chattr) flags |= flag;
  }
  return flags;
}

unsigned long ChattrFromFlags(uint64_t flags) {
  unsigned long attr = 0;
  for (const auto& [chattr, flag] : kChattrToFlag) {
    if (flags & flag) attr |= chattr;
  }
  return attr;
}

unsigned long StoredChattrMask() {
  unsigned long mask = 0;
  for (const auto& [chattr, flag] : kChattrToFlag) mask |= chattr;
  return mask;
}

}  // namespace cairn::pxar
