#include "core/util/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace cairn {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kWarning)};
std::atomic<LogFormat> g_format{LogFormat::kHuman};

struct LevelName {
  const char* human;
  const char* syslog_prefix;  // LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG
};
constexpr LevelName kLevels[] = {{"error", "<3>"}, {"warning", "<4>"}, {"info", "<6>"}, {"debug", "<7>"}};

}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

void SetLogFormat(LogFormat format) { g_format = format; }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view message) {
  if (!LogEnabled(level)) return;
  const LevelName& name = kLevels[static_cast<int>(level)];
  std::string line = g_format.load(std::memory_order_relaxed) == LogFormat::kJournal
                         ? std::string(name.syslog_prefix)
                         : std::string("cairn: ") + name.human + ": ";
  line.append(message);
  line += '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

bool RecentMessages::Insert(const std::string& message) {
  std::lock_guard lock(mu_);
  if (!known_.insert(message).second) return false;
  order_.push_back(message);
  if (order_.size() > capacity_) {
    known_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace cairn
