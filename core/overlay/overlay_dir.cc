#include "core/overlay/overlay_dir.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>

#include "core/crypto/sha256.h"
#include "core/util/error.h"
#include "core/util/hex.h"

namespace cairn {
namespace {

constexpr size_t kMaxStem = 200;

bool Plain(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

std::string OverlayDir::FileStem(std::string_view export_name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string stem;
  for (size_t i = 0; i < export_name.size(); ++i) {
    const char c = export_name[i];
    if (Plain(c) && !(i == 0 && c == '.')) {
      stem += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      stem += '%';
      stem += kHex[u >> 4];
      stem += kHex[u & 15];
    }
  }
  if (stem.empty()) stem = "%";
  if (stem.size() > kMaxStem)
    stem = stem.substr(0, kMaxStem - 65) + "-" + ToHex(Sha256(AsBytes(export_name)));
  return stem;
}

OverlayDir::OverlayDir(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw SystemError("creating overlay directory " + dir_.string(), ec.value());
  std::filesystem::path lock_path = dir_ / ".lock";
  lock_ = UniqueFd(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_) throw SystemError("opening " + lock_path.string(), errno);
  if (flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      throw Error(ErrorKind::kBusy,
                  "overlay directory " + dir_.string() + " is in use by another cairn process");
    }
    throw SystemError("locking " + lock_path.string(), errno);
  }
}

std::shared_ptr<Overlay> OverlayDir::Get(const OverlayInfo& info) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Overlay>& slot = open_[info.export_name];
  if (slot == nullptr) slot = Overlay::OpenOrCreate(dir_ / FileStem(info.export_name), info);
  return slot;
}

bool OverlayDir::Exists(std::string_view export_name) const {
  std::error_code ec;
  return std::filesystem::exists(dir_ / (FileStem(export_name) + ".json"), ec);
}

std::vector<std::filesystem::path> OverlayDir::List() const {
  std::vector<std::filesystem::path> stems;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::filesystem::path& p = entry.path();
    if (p.extension() == ".json") stems.push_back(p.parent_path() / p.stem());
  }
  std::sort(stems.begin(), stems.end());
  return stems;
}

}  // namespace cairn
