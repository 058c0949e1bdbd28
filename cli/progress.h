// Progress of long commands on stderr: a redrawn bar on a terminal, one line every few
// seconds otherwise (logs, CI), nothing with --quiet. Shows bytes done (of the total, when
// known), files done when the command counts them, the rate, and an estimate of the time left
// while a total is known.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace cairn::cli {

class Progress {
 public:
  // `total` in bytes (0 when unknown). `enabled` false silences it (--quiet, --json).
  Progress(std::string label, uint64_t total, bool enabled);
  ~Progress();

  // Thread-compatible: call from one thread. Cheap when nothing is due to be printed.
  // `done` bytes and, for commands that count them, `files` finished so far.
  void Update(uint64_t done, std::optional<uint64_t> files = std::nullopt);
  void set_total(uint64_t total) { total_ = total; }

 private:
  void Print(bool final);

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::optional<uint64_t> files_;
  bool enabled_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace cairn::cli
