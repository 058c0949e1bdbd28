#include "tests/nbd/nbd_server_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "nbd/listen_address.h"
#include "tests/fs/mount_fixture.h"
#include "tests/test_support.h"

namespace cairn::test {

NbdServerProcess::NbdServerProcess(const std::string& store, const std::vector<std::string>& env,
                                   const std::filesystem::path& dir, const std::vector<std::string>& extra)
    : socket_(dir / "nbd.sock"), log_(dir / "nbd.log") {
  std::vector<std::string> args = {"nbd", store, "--listen", "unix:" + socket_.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = SpawnCairn(args, env, log_);
  // The server renames its socket into place once it listens: existence means ready.
  struct stat st {};
  bool up = WaitFor([&] { return stat(socket_.c_str(), &st) == 0 || !Alive(); }, 120) && Alive();
  if (!up) {
    if (pid_ > 0) Stop();
    throw std::runtime_error("cairn nbd did not come up:\n" + Log());
  }
}

NbdServerProcess::~NbdServerProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

bool NbdServerProcess::Alive() {
  if (pid_ <= 0) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == 0) return true;
  pid_ = -1;
  return false;
}

int NbdServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  bool exited = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, 120);
  if (!exited) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  if (!exited) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string NbdServerProcess::Uri(const std::string& name) const {
  nbd::ListenAddress address;
  address.path = socket_.string();
  return address.Uri(name);
}

std::string NbdServerProcess::Log() const {
  std::ifstream in(log_);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace cairn::test
