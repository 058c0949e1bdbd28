#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "cli/cli_common.h"

namespace cairn::cli {

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (enabled_ && (tty_ || done_ > 0)) Print(true);
}

void Progress::Update(uint64_t done) {
  done_ = done;
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
  line += ", " + HumanSize(static_cast<uint64_t>(rate)) + "/s";
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s%s\n", line.c_str(), final ? " done" : "");
  }
  std::fflush(stderr);
}

}  // namespace cairn::cli
