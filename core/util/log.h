// Diagnostics to stderr. The level and the line format are set once at start-up by the
// program; library code only emits messages.
#pragma once

#include <string_view>

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

}  // namespace cairn
