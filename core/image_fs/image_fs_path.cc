#include "core/image_fs/image_fs_path.h"

#include <charconv>

#include "core/image_fs/disk_layout.h"

namespace cairn {

std::optional<uint32_t> ParseVolumeNumber(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::optional<ImageFsPath> ParseImageFsPath(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t slash = path.find('/');
  std::string_view first = path.substr(0, slash);
  constexpr std::string_view kSuffix = ".img.fs";
  if (first.size() <= kSuffix.size() || !first.ends_with(kSuffix)) return std::nullopt;
  std::string_view rest = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  size_t next = rest.find('/');
  std::optional<uint32_t> volume = ParseVolumeNumber(rest.substr(0, next));
  if (!volume) return std::nullopt;
  std::string_view inner = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
  while (!inner.empty() && inner.back() == '/') inner.remove_suffix(1);
  return ImageFsPath{std::string(first.substr(0, first.size() - 3)), *volume, std::string(inner)};
}

std::unique_ptr<ExtFilesystem> OpenVolumeFilesystem(const std::shared_ptr<BlockSource>& disk, uint32_t number,
                                                    const std::string& description) {
  DiskLayout layout = ReadDiskLayout(disk);
  const Volume* volume = layout.Find(number);
  if (volume == nullptr) {
    throw Error(ErrorKind::kNotFound, description + " has no volume " + std::to_string(number) +
                                          (layout.table.scheme == PartitionScheme::kNone
                                               ? " (it has no partition table: its filesystem is volume 0)"
                                               : ""));
  }
  if (volume->filesystem.kind != FilesystemKind::kExt) {
    std::string holds = volume->filesystem.name.empty() ? "no known filesystem" : volume->filesystem.name;
    throw Error(ErrorKind::kUnsupported,
                description + " volume " + std::to_string(number) + " holds " + holds + ", not ext2/3/4");
  }
  return std::make_unique<ExtFilesystem>(VolumeSource(disk, *volume),
                                         description + " volume " + std::to_string(number));
}

}  // namespace cairn
