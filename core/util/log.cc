#include "core/util/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace cairn {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kWarning)};
}

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view message) {
  if (!LogEnabled(level)) return;
  static constexpr const char* kNames[] = {"error", "warning", "info", "debug"};
  std::string line = std::string("cairn: ") + kNames[static_cast<int>(level)] + ": ";
  line.append(message);
  line += '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace cairn
