// A datastore (CliFixture) mounted through the kernel by the real binary: `cairn mount -f`
// runs as a child process; Mount() returns once the mount answers, TearDown() always
// unmounts and reaps the child, also when the test failed half way.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/cli/cli_fixture.h"

namespace cairn::test {

// True when `path` is a mount point of a cairn FUSE filesystem (from /proc/self/mountinfo;
// never touches the mount itself, which may hang while its server is stuck).
bool IsCairnMount(const std::filesystem::path& path);

// Waits (polling, up to `seconds`) for `condition` to hold; returns whether it did.
bool WaitFor(const std::function<bool()>& condition, double seconds = 60);

// Runs a program (no shell) and returns its exit code and output.
CommandResult RunProgram(const std::vector<std::string>& argv);

// Reads [offset, offset + length) of open file `fd` with pread: returns 0 and the bytes read
// (fewer at the end of the file), or the errno of the first failing call.
int PreadRange(int fd, uint64_t offset, size_t length, Bytes& out);
// The same for the file at `path`, opened for this read only.
int PreadRange(const std::filesystem::path& path, uint64_t offset, size_t length, Bytes& out);

class MountFixture : public CliFixture {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Mounts the datastore at mnt_ with `cairn mount -f` plus `extra` arguments.
  void Mount(const std::vector<std::string>& extra = {});
  // Runs `cairn arguments...` (a mount in the foreground) and waits until mnt_ is mounted.
  void MountWithArguments(const std::vector<std::string>& arguments);
  // Unmounts with fusermount3 -u and waits for the server to exit (escalating to signals and
  // a lazy unmount if it does not); checks that it exited cleanly.
  void Unmount();
  // What the mount process wrote to stderr so far.
  std::string MountLog() const;

  std::filesystem::path mnt_;  // the mount point
  std::filesystem::path log_;  // the mount process's stderr
  pid_t server_ = -1;          // the `cairn mount -f` process, or -1
};

}  // namespace cairn::test
