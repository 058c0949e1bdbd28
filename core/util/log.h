// Diagnostics to stderr. The level is set once at start-up by the program; library code
// only emits messages.
#pragma once

#include <string_view>

namespace cairn {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
// Writes "cairn: <level>: <message>\n" as one write, so lines from threads do not interleave.
void Log(LogLevel level, std::string_view message);

}  // namespace cairn
