#include "cli/password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/util/error.h"
#include "core/util/file.h"

namespace cairn::cli {
namespace {

std::string ReadLine(int fd) {
  std::string line;
  char c;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot read the password", errno);
    if (n == 0 || c == '\n') break;
    line += c;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string Prompt(int tty, const std::string& prompt) {
  WriteFull(tty, AsBytes(prompt), "/dev/tty");
  termios saved;
  bool restore = ::tcgetattr(tty, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  std::string line = ReadLine(tty);
  if (restore) ::tcsetattr(tty, TCSAFLUSH, &saved);
  WriteFull(tty, AsBytes("\n"), "/dev/tty");
  return line;
}

}  // namespace

std::string ReadPassword(const std::string& prompt, int fd, bool confirm) {
  if (const char* env = std::getenv("PBS_ENCRYPTION_PASSWORD")) return env;
  if (fd >= 0) return ReadLine(fd);
  UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC));
  if (!tty) {
    throw Error(ErrorKind::kCrypto,
                "a password is needed and there is no terminal: set PBS_ENCRYPTION_PASSWORD or use --password-fd");
  }
  std::string password = Prompt(tty.get(), prompt);
  if (confirm && Prompt(tty.get(), "Verify password: ") != password) {
    throw Error(ErrorKind::kCrypto, "the passwords do not match");
  }
  return password;
}

}  // namespace cairn::cli
