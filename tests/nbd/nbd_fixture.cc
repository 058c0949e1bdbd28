#include "tests/nbd/nbd_fixture.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <cstdio>
#include <thread>

#include "nbd/listen_address.h"
#include "tests/cli/cli_fixture.h"

namespace cairn::test {
namespace {

// Generous: the test machine may be loaded; these bound hangs, they do not measure.
constexpr auto kStartTimeout = std::chrono::seconds(120);
constexpr auto kStopTimeout = std::chrono::seconds(120);

}  // namespace

ScratchStore::ScratchStore() {
  store = (dir / "store").string();
  env = {"CAIRN_PBS_DATASTORE_CFG=" + (dir / "datastore.cfg").string(),
         "CAIRN_PBS_RUN_DIR=" + (dir / "run").string()};
  CommandResult r = RunCairn({"init", store}, env);
  if (r.exit_code != 0) throw std::runtime_error("cairn init failed: " + r.err);
}

void ScratchStore::Backup(const std::string& id, const std::string& time, const std::string& image_path) const {
  CommandResult r =
      RunCairn({"backup", "image", store, "--id", id, "--backup-time", time, "drive-scsi0.img=" + image_path}, env);
  if (r.exit_code != 0) throw std::runtime_error("cairn backup failed: " + r.err);
}

const NbdStore& NbdStore::Get() {
  // Destroyed at exit, which removes the datastore (65536 directories: tmpfs inodes).
  static std::unique_ptr<NbdStore> store = [] {
    auto s = std::make_unique<NbdStore>();
    s->image_a = MixedImage(9, 1234, 1);
    s->image_b = MixedImage(4, 0, 2);
    s->image_a_path = (s->dir / "a.img").string();
    s->image_b_path = (s->dir / "b.img").string();
    WriteFileBytes(s->image_a_path, s->image_a);
    WriteFileBytes(s->image_b_path, s->image_b);
    s->Backup("100", "2024-05-01T10:00:00Z", s->image_a_path);
    s->Backup("100", "2024-05-02T10:00:00Z", s->image_b_path);
    return s;
  }();
  return *store;
}

ShellResult Sh(const std::string& command) {
  signal(SIGPIPE, SIG_IGN);
  ShellResult result{-1, {}};
  FILE* p = popen(("(" + command + ") 2>&1").c_str(), "r");
  if (p == nullptr) return result;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  int status = pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

void NbdTest::SetUp() { socket_ = (tmp_ / "nbd.sock").string(); }

void NbdTest::TearDown() {
  if (pid_ > 0) {
    EXPECT_EQ(StopServer(), 0) << "the server did not shut down cleanly on SIGTERM";
  }
}

void NbdTest::StartServer(const std::vector<std::string>& extra) { StartServerOn(data_.store, data_.env, extra); }

void NbdTest::StartServerOn(const std::string& store, const std::vector<std::string>& env,
                            const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"nbd", store, "--listen", "unix:" + socket_};
  args.insert(args.end(), extra.begin(), extra.end());
  std::string log = (tmp_ / "server.log").string();
  pid_ = SpawnCairn(args, env, log);
  // The server renames its socket into place once it listens: existence means ready.
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  struct stat st{};
  while (stat(socket_.c_str(), &st) != 0) {
    ASSERT_TRUE(ServerAlive()) << "cairn nbd exited early:\n" << ReadFileBytes(log).size() << " bytes of log: "
                               << AsChars(ReadFileBytes(log));
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "cairn nbd did not create its socket";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool NbdTest::ServerAlive() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  pid_ = -1;  // reaped (or gone)
  return false;
}

void NbdTest::KillServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  // The dead server's socket file stays behind; StartServer takes a socket's existence for
  // readiness, so it must go (a new server would replace it anyway).
  std::remove(socket_.c_str());
}

int NbdTest::StopServer() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return WaitServerExit();
}

int NbdTest::WaitServerExit() {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 || std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string NbdTest::Uri(const std::string& name) const {
  nbd::ListenAddress address;
  address.path = socket_;
  return address.Uri(name);
}

}  // namespace cairn::test
