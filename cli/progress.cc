#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "cli/cli_common.h"

namespace cairn::cli {
namespace {

// "42s", "3m05s", "2h07m".
std::string Duration(double seconds) {
  const uint64_t s = static_cast<uint64_t>(seconds + 0.5);
  char out[32];
  if (s < 60) {
    std::snprintf(out, sizeof out, "%llus", static_cast<unsigned long long>(s));
  } else if (s < 3600) {
    std::snprintf(out, sizeof out, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(out, sizeof out, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  }
  return out;
}

}  // namespace

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (enabled_ && (tty_ || done_ > 0 || files_.value_or(0) > 0)) Print(true);
}

void Progress::Update(uint64_t done, std::optional<uint64_t> files) {
  done_ = done;
  files_ = files;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (now - last_print_ < interval) return;
  last_print_ = now;
  Print(false);
}

void Progress::Print(bool final) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  std::string line = label_ + ": " + HumanSize(done_);
  if (total_ > 0) {
    int percent = static_cast<int>(100.0 * static_cast<double>(done_) / static_cast<double>(total_));
    line += " of " + HumanSize(total_) + " (" + std::to_string(percent) + "%)";
    if (tty_) {
      constexpr int kWidth = 30;
      int filled = percent * kWidth / 100;
      line = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " + line;
    }
  }
  if (files_) line += ", " + std::to_string(*files_) + (*files_ == 1 ? " file" : " files");
  line += ", " + HumanSize(static_cast<uint64_t>(rate)) + "/s";
  if (!final && total_ > done_ && rate > 0) line += ", ETA " + Duration(static_cast<double>(total_ - done_) / rate);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s%s\n", line.c_str(), final ? " done" : "");
  }
  std::fflush(stderr);
}

}  // namespace cairn::cli
