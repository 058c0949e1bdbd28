#include "core/image_fs/filesystem_probe.h"

#include "core/util/bytes.h"

namespace cairn {
namespace {

constexpr size_t kProbeBytes = 8192;  // covers all but btrfs
constexpr uint64_t kBtrfsMagicOffset = 65536 + 64;
constexpr size_t kExtSuperblock = 1024;
constexpr uint32_t kExtCompatJournal = 0x4;
constexpr uint32_t kExtIncompatExt4 = 0x40 | 0x80 | 0x200;  // extents, 64bit, flex_bg
constexpr uint32_t kExtRoCompatExt4 = 0x8 | 0x40;           // huge_file, extra_isize

bool At(ByteView data, size_t offset, std::string_view magic) {
  return offset + magic.size() <= data.size() && AsChars(data.subspan(offset, magic.size())) == magic;
}

std::string ExtName(ByteView sb) {
  uint32_t compat = LoadLE<uint32_t>(&sb[92]);
  uint32_t incompat = LoadLE<uint32_t>(&sb[96]);
  uint32_t ro_compat = LoadLE<uint32_t>(&sb[100]);
  if ((incompat & kExtIncompatExt4) || (ro_compat & kExtRoCompatExt4)) return "ext4";
  return (compat & kExtCompatJournal) ? "ext3" : "ext2";
}

}  // namespace

FilesystemInfo ProbeFilesystem(BlockSource& volume) {
  Bytes head(kProbeBytes, 0);
  size_t n = volume.Read(0, head);
  head.resize(n);
  ByteView data = head;
  if (data.size() >= kExtSuperblock + 104 && LoadLE<uint16_t>(&data[kExtSuperblock + 56]) == 0xEF53) {
    return {FilesystemKind::kExt, ExtName(data.subspan(kExtSuperblock))};
  }
  if (At(data, 0, "XFSB")) return {FilesystemKind::kXfs, "xfs"};
  if (At(data, 0, "LUKS\xba\xbe")) return {FilesystemKind::kLuks, "crypto_LUKS"};
  if (At(data, 3, "NTFS    ")) return {FilesystemKind::kNtfs, "ntfs"};
  if (data.size() >= 512 && data[510] == 0x55 && data[511] == 0xAA &&
      (At(data, 54, "FAT") || At(data, 82, "FAT"))) {
    return {FilesystemKind::kVfat, "vfat"};
  }
  for (size_t sector = 0; sector < 4; ++sector) {
    if (At(data, sector * 512, "LABELONE") && At(data, sector * 512 + 24, "LVM2 001")) {
      return {FilesystemKind::kLvmPv, "LVM2_member"};
    }
  }
  if (At(data, 4096 - 10, "SWAPSPACE2") || At(data, 4096 - 10, "SWAP-SPACE"))
    return {FilesystemKind::kSwap, "swap"};
  uint8_t btrfs[8];
  if (volume.Read(kBtrfsMagicOffset, btrfs) == sizeof btrfs && AsChars(btrfs) == "_BHRfS_M") {
    return {FilesystemKind::kBtrfs, "btrfs"};
  }
  return {};
}

std::string MountHint(const FilesystemInfo& info, std::string_view path) {
  std::string file = "'" + std::string(path) + "'";
  switch (info.kind) {
    case FilesystemKind::kExt: return "mount -t " + info.name + " -o loop,ro,noload " + file + " /mnt";
    case FilesystemKind::kVfat: return "mount -t vfat -o loop,ro " + file + " /mnt";
    case FilesystemKind::kXfs: return "mount -t xfs -o loop,ro,norecovery " + file + " /mnt";
    case FilesystemKind::kBtrfs: return "mount -t btrfs -o loop,ro,rescue=nologreplay " + file + " /mnt";
    case FilesystemKind::kNtfs: return "mount -t ntfs3 -o loop,ro " + file + " /mnt";
    case FilesystemKind::kLvmPv:
      return "losetup --read-only --find --show " + file +
             " && vgscan && vgchange -ay  # then mount an LV with -o ro";
    case FilesystemKind::kLuks:
      return "cryptsetup open --readonly " + file + " restore  # then mount /dev/mapper/restore -o ro";
    case FilesystemKind::kSwap:
    case FilesystemKind::kUnknown: return "";
  }
  return "";
}

}  // namespace cairn
