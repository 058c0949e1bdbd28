#include "core/overlay/overlay.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/overlay/durable_file.h"
#include "core/util/error.h"

namespace cairn {
namespace {

constexpr char kFormat[] = "cairn-overlay";
constexpr int kVersion = 1;
constexpr size_t kMaxInfoSize = 64 << 10;

std::string InfoJson(const OverlayInfo& info) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["datastore"] = info.datastore;
  j["export"] = info.export_name;
  j["size"] = info.size;
  j["base"] = info.base_id;
  j["granularity"] = info.granularity;
  return j.dump(2) + "\n";
}

}  // namespace

std::filesystem::path Overlay::path(const char* suffix) const {
  std::filesystem::path p = stem_;
  p += suffix;
  return p;
}

OverlayInfo Overlay::ReadInfo(const std::filesystem::path& stem) {
  std::filesystem::path path = stem;
  path += ".json";
  Bytes text = ReadWholeFile(path, kMaxInfoSize);
  try {
    nlohmann::json j = nlohmann::json::parse(AsChars(text));
    if (j.at("format").get<std::string>() != kFormat || j.at("version").get<int>() != kVersion) {
      throw Error(ErrorKind::kUnsupported, path.string() + ": not a version 1 cairn overlay");
    }
    OverlayInfo info{j.at("datastore").get<std::string>(), j.at("export").get<std::string>(),
                     j.at("size").get<uint64_t>(), j.at("base").get<std::string>(),
                     j.at("granularity").get<uint32_t>()};
    if (info.granularity == 0 || (info.granularity & (info.granularity - 1)) != 0) {
      throw Error(ErrorKind::kCorrupt, path.string() + ": granularity is not a power of two");
    }
    return info;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kCorrupt, path.string() + ": " + e.what());
  }
}

Overlay::Overlay(std::filesystem::path stem, OverlayInfo info, UniqueFd data, AllocationMap map)
    : stem_(std::move(stem)),
      info_(std::move(info)),
      data_(std::move(data)),
      zeros_(info_.granularity, 0),
      map_(std::move(map)) {}

std::unique_ptr<Overlay> Overlay::OpenOrCreate(const std::filesystem::path& stem, const OverlayInfo& info) {
  auto with = [&stem](const char* suffix) {
    std::filesystem::path p = stem;
    p += suffix;
    return p;
  };
  std::error_code ec;
  if (std::filesystem::exists(with(".json"), ec)) {
    OverlayInfo found = ReadInfo(stem);
    if (found.export_name != info.export_name || found.size != info.size || found.base_id != info.base_id) {
      throw Error(ErrorKind::kInvalidInput,
                  "overlay " + with(".json").string() + " was made over " + found.export_name + " (" +
                      std::to_string(found.size) + " bytes, base " + found.base_id + "), not over " +
                      info.export_name + " (" + std::to_string(info.size) + " bytes, base " + info.base_id +
                      "); move it away or use another --overlay directory");
    }
    UniqueFd data(open(with(".data").c_str(), O_RDWR | O_CLOEXEC));
    if (!data) throw SystemError("opening overlay data " + with(".data").string(), errno);
    AllocationMap map = AllocationMap::Load(with(".map"), found.size, found.granularity);
    return std::unique_ptr<Overlay>(new Overlay(stem, found, std::move(data), std::move(map)));
  }
  // Creation: data and map first, the info file last, so an interrupted creation is
  // simply redone.
  UniqueFd data(open(with(".data").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!data) throw SystemError("creating overlay data " + with(".data").string(), errno);
  if (ftruncate(data.get(), static_cast<off_t>(info.size)) != 0) {
    throw SystemError("sizing overlay data " + with(".data").string(), errno);
  }
  if (fsync(data.get()) != 0) throw SystemError("fsync " + with(".data").string(), errno);
  AllocationMap map(info.size, info.granularity);
  map.SaveDurably(with(".map"));
  ReplaceFileDurably(with(".json"), AsBytes(InfoJson(info)));
  return std::unique_ptr<Overlay>(new Overlay(stem, info, std::move(data), std::move(map)));
}

std::unique_ptr<Overlay> Overlay::OpenReadOnly(const std::filesystem::path& stem) {
  OverlayInfo info = ReadInfo(stem);
  std::filesystem::path data_path = stem;
  data_path += ".data";
  UniqueFd data(open(data_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!data) throw SystemError("opening overlay data " + data_path.string(), errno);
  std::filesystem::path map_path = stem;
  map_path += ".map";
  AllocationMap map = AllocationMap::Load(map_path, info.size, info.granularity);
  return std::unique_ptr<Overlay>(new Overlay(stem, info, std::move(data), std::move(map)));
}

std::vector<Overlay::Run> Overlay::Runs(uint64_t offset, uint64_t length) const {
  std::vector<Run> runs;
  const uint64_t end = std::min(info_.size, offset + length);
  if (offset >= end) return runs;
  for (uint64_t b = map_.block_of(offset); b <= map_.block_of(end - 1); ++b) {
    const uint64_t from = std::max(offset, map_.block_start(b));
    const uint64_t to = std::min(end, map_.block_end(b));
    if (!runs.empty() && runs.back().state == map_.state(b))
      runs.back().length += to - from;
    else
      runs.push_back({from, to - from, map_.state(b)});
  }
  return runs;
}

size_t Overlay::Read(BlockSource& base, uint64_t offset, std::span<uint8_t> out) const {
  std::vector<Run> runs;
  {
    std::shared_lock lock(mu_);
    runs = Runs(offset, out.size());
  }
  size_t total = 0;
  for (const Run& r : runs) {
    std::span<uint8_t> part = out.subspan(r.offset - offset, r.length);
    switch (r.state) {
      case BlockState::kBase:
        if (base.Read(r.offset, part) != part.size())
          throw Error(ErrorKind::kIo, "short read from the base image");
        break;
      case BlockState::kData: {
        size_t n = PreadFull(data_.get(), part, r.offset, path(".data"));
        std::fill(part.begin() + static_cast<ptrdiff_t>(n), part.end(),
                  0);  // never shorter: sized at creation
        break;
      }
      case BlockState::kZero: std::fill(part.begin(), part.end(), 0); break;
    }
    total += r.length;
  }
  return total;
}

std::vector<Extent> Overlay::Extents(const BlockSource& base, uint64_t offset, uint64_t length) const {
  std::vector<Run> runs;
  {
    std::shared_lock lock(mu_);
    runs = Runs(offset, length);
  }
  std::vector<Extent> out;
  auto add = [&out](const Extent& e) {
    if (!out.empty() && out.back().zero == e.zero && out.back().offset + out.back().length == e.offset) {
      out.back().length += e.length;
    } else {
      out.push_back(e);
    }
  };
  for (const Run& r : runs) {
    if (r.state == BlockState::kBase) {
      for (const Extent& e : base.Extents(r.offset, r.length)) add(e);
    } else {
      add({r.offset, r.length, r.state == BlockState::kZero});
    }
  }
  return out;
}

void Overlay::WriteInBlock(BlockSource& base, uint64_t b, uint64_t offset, ByteView bytes) {
  const uint64_t start = map_.block_start(b), end = map_.block_end(b);
  const BlockState state = map_.state(b);
  if (state == BlockState::kData || (offset == start && bytes.size() == end - start)) {
    PwriteFull(data_.get(), bytes, offset, path(".data"));
  } else {
    // Read-modify-write: complete the block from what it reads as now.
    Bytes block(end - start);
    if (state == BlockState::kBase) {
      if (base.Read(start, block) != block.size())
        throw Error(ErrorKind::kIo, "short read from the base image");
    } else {
      std::fill(block.begin(), block.end(), 0);
    }
    std::memcpy(block.data() + (offset - start), bytes.data(), bytes.size());
    PwriteFull(data_.get(), block, start, path(".data"));
  }
  if (state != BlockState::kData) {
    map_.set_state(b, BlockState::kData);
    dirty_ = true;
  }
}

void Overlay::Write(BlockSource& base, uint64_t offset, ByteView data) {
  if (data.empty()) return;
  std::unique_lock lock(mu_);
  const uint64_t end = offset + data.size();
  for (uint64_t b = map_.block_of(offset); b <= map_.block_of(end - 1); ++b) {
    const uint64_t from = std::max(offset, map_.block_start(b));
    const uint64_t to = std::min(end, map_.block_end(b));
    WriteInBlock(base, b, from, data.subspan(from - offset, to - from));
  }
}

void Overlay::WriteZeroes(BlockSource& base, uint64_t offset, uint64_t length, bool may_punch) {
  if (length == 0) return;
  std::unique_lock lock(mu_);
  const uint64_t end = offset + length;
  uint64_t hole_start = 0, hole_end = 0;  // pending whole-block run to punch
  auto punch_pending = [&] {
    if (hole_end > hole_start) PunchHole(hole_start, hole_end - hole_start);
    hole_start = hole_end = 0;
  };
  for (uint64_t b = map_.block_of(offset); b <= map_.block_of(end - 1); ++b) {
    const uint64_t from = std::max(offset, map_.block_start(b));
    const uint64_t to = std::min(end, map_.block_end(b));
    const bool whole = from == map_.block_start(b) && to == map_.block_end(b);
    if (may_punch && whole) {
      if (map_.state(b) == BlockState::kZero) continue;
      if (hole_end != from) {
        punch_pending();
        hole_start = from;
      }
      hole_end = to;
      map_.set_state(b, BlockState::kZero);
      dirty_ = true;
    } else if (map_.state(b) != BlockState::kZero || !may_punch) {
      WriteInBlock(base, b, from, ByteView(zeros_.data(), to - from));
    }
  }
  punch_pending();
}

void Overlay::PunchHole(uint64_t offset, uint64_t length) {
  // Only space is at stake: a kZero block is never read from the file.
  if (fallocate(data_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                static_cast<off_t>(length)) != 0 &&
      errno != EOPNOTSUPP) {
    throw SystemError("punching a hole in " + path(".data").string(), errno);
  }
}

void Overlay::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  std::optional<AllocationMap> snapshot;
  {
    std::unique_lock lock(mu_);
    if (dirty_) snapshot.emplace(map_);
    dirty_ = false;
  }
  try {
    // Every block the snapshot marks kData was written before it was taken: make those
    // bytes durable before the map that points at them.
    if (fdatasync(data_.get()) != 0) throw SystemError("fdatasync " + path(".data").string(), errno);
    if (snapshot) snapshot->SaveDurably(path(".map"));
  } catch (...) {
    std::unique_lock lock(mu_);
    dirty_ = true;
    throw;
  }
}

}  // namespace cairn
