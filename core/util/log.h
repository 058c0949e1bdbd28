// Diagnostics to stderr. The level and the line format are set once at start-up by the
// program; library code only emits messages.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace cairn {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

// How a line looks on stderr.
enum class LogFormat {
  kHuman,    // "cairn: warning: <message>", for terminals and files
  kJournal,  // "<4><message>": stderr is a journald stream, which reads the syslog priority
             // from the prefix (sd-daemon(3)) and records the program name itself
};

void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);
bool LogEnabled(LogLevel level);
// Writes one line as one write(2), so that lines from threads do not interleave.
void Log(LogLevel level, std::string_view message);

// Remembers the last `capacity` distinct messages, so that a failure met again and again
// (the kernel retries a failed read page by page, clients retry) is logged once while it is
// remembered. Thread-safe.
class RecentMessages {
 public:
  explicit RecentMessages(size_t capacity = 1024) : capacity_(capacity) {}

  // True when `message` is not among the remembered ones; it is remembered from now on.
  bool Insert(const std::string& message);

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::unordered_set<std::string> known_;  // guarded by mu_
  std::deque<std::string> order_;          // guarded by mu_; oldest first
};

}  // namespace cairn
