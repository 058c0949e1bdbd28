// `cairn mount -f` under a service manager: READY=1 on $NOTIFY_SOCKET once the mount is in
// place, and a clean unmount and exit on SIGTERM (cairn-mount@.service relies on both).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/file.h"
#include "tests/fs/mount_fixture.h"

namespace cairn::test {
namespace {

class MountNotifyTest : public MountFixture {};

TEST_F(MountNotifyTest, ReadyOnceMountedAndCleanExitOnSigterm) {
  Bytes image = MixedImage(3, 777, 41);
  BackupImage("100", "2024-05-01T10:00:00Z", image);

  std::string notify_path = (tmp_ / "notify").string();
  UniqueFd notify(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  notify_path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  ASSERT_EQ(bind(notify.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  timeval timeout{60, 0};
  setsockopt(notify.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

  env_.push_back("NOTIFY_SOCKET=" + notify_path);
  Mount();
  char message[512] = {};
  ssize_t n = recv(notify.get(), message, sizeof(message) - 1, 0);
  ASSERT_GT(n, 0) << "no readiness notification";
  std::string text(message, static_cast<size_t>(n));
  EXPECT_EQ(text.rfind("READY=1\nSTATUS=mounted " + store_, 0), 0u) << text;
  EXPECT_NE(text.find(mnt_.string()), std::string::npos) << text;

  std::filesystem::path file = mnt_ / "vm/100/2024-05-01T10:00:00Z/drive-scsi0.img";
  EXPECT_EQ(ReadFileBytes(file), image);

  ASSERT_EQ(kill(server_, SIGTERM), 0);
  int status = 0;
  bool exited = WaitFor([&] { return waitpid(server_, &status, WNOHANG) == server_; }, 60);
  ASSERT_TRUE(exited) << MountLog();
  server_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << MountLog();
  EXPECT_FALSE(IsCairnMount(mnt_)) << "SIGTERM left the mount behind";
}

}  // namespace
}  // namespace cairn::test
