// Progress of long commands on stderr: a redrawn bar on a terminal, one line every few
// seconds otherwise (logs, CI), nothing with --quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace cairn::cli {

class Progress {
 public:
  // `total` in bytes (0 when unknown). `enabled` false silences it (--quiet, --json).
  Progress(std::string label, uint64_t total, bool enabled);
  ~Progress();

  // Thread-compatible: call from one thread. Cheap when nothing is due to be printed.
  void Update(uint64_t done);
  void set_total(uint64_t total) { total_ = total; }

 private:
  void Print(bool final);

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace cairn::cli
