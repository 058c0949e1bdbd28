#include "tests/fs/mount_fixture.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace cairn::test {

bool IsCairnMount(const std::filesystem::path& path) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    // "<id> <parent> <dev> <root> <mount point> <options> ... - <fstype> <source> ..."
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point == path.string() && line.find(" - fuse.cairn ") != std::string::npos) return true;
  }
  return false;
}

bool WaitFor(const std::function<bool()>& condition, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

CommandResult RunProgram(const std::vector<std::string>& argv) {
  // RunCairn runs the cairn binary; for other programs go through a shell-free wrapper:
  // /usr/bin/env resolves the program on PATH.
  std::string out_path = "/dev/shm/cairn-test-out-" + std::to_string(getpid()) + "-" +
                         std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (out_path + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, (out_path + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args = {"/usr/bin/env"};
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, "/usr/bin/env", &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  CommandResult result{-1, {}, {}};
  if (rc != 0) return result;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::filesystem::remove(path);
    return text;
  };
  result.out = slurp(out_path + ".out");
  result.err = slurp(out_path + ".err");
  return result;
}

int PreadRange(int fd, uint64_t offset, size_t length, Bytes& out) {
  out.assign(length, 0);
  size_t done = 0;
  int error = 0;
  while (done < length) {
    ssize_t n = pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      error = errno;
      break;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return error;
}

int PreadRange(const std::filesystem::path& path, uint64_t offset, size_t length, Bytes& out) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return errno;
  int error = PreadRange(fd, offset, length, out);
  close(fd);
  return error;
}

void MountFixture::SetUp() {
  CliFixture::SetUp();
  mnt_ = tmp_ / "mnt";
  log_ = tmp_ / "mount.log";
  std::filesystem::create_directory(mnt_);
}

void MountFixture::TearDown() {
  Unmount();
  EXPECT_FALSE(IsCairnMount(mnt_)) << "a mount was left behind";
}

void MountFixture::Mount(const std::vector<std::string>& extra) {
  std::vector<std::string> arguments = {"mount", "-f", store_, mnt_.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  MountWithArguments(arguments);
}

void MountFixture::MountWithArguments(const std::vector<std::string>& arguments) {
  ASSERT_EQ(server_, -1) << "already mounted";
  server_ = SpawnCairn(arguments, env_, log_);
  bool exited = false;
  bool ready = WaitFor([&] {
    int status;
    if (waitpid(server_, &status, WNOHANG) == server_) {
      exited = true;
      return true;
    }
    return IsCairnMount(mnt_);
  });
  if (exited) server_ = -1;
  ASSERT_TRUE(ready && !exited) << "cairn mount did not come up:\n" << MountLog();
}

void MountFixture::Unmount() {
  if (server_ < 0) return;
  if (IsCairnMount(mnt_)) RunProgram({"fusermount3", "-u", mnt_.string()});
  int status = 0;
  auto reaped = [&] { return waitpid(server_, &status, WNOHANG) == server_; };
  bool clean = WaitFor(reaped, 60);
  if (!clean) {
    // Unmounting did not end it (busy mount or a hung server): signal it, then force.
    kill(server_, SIGTERM);
    if (!WaitFor(reaped, 20)) {
      kill(server_, SIGKILL);
      waitpid(server_, &status, 0);
    }
    if (IsCairnMount(mnt_)) RunProgram({"umount", "-l", mnt_.string()});
  }
  server_ = -1;
  EXPECT_TRUE(clean) << "cairn mount did not exit after fusermount3 -u:\n" << MountLog();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n" << MountLog();
}

std::string MountFixture::MountLog() const {
  std::ifstream in(log_);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace cairn::test
