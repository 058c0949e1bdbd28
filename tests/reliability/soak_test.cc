// Load: many NBD clients (random and sequential reads) and FUSE readers at once, every byte
// checked against the source; afterwards the server holds no more descriptors or threads
// than before, and its peak RSS stayed within the cache budget plus a fixed overhead.
// ctest runs a short version; bench/run-soak runs the full one (64 clients, 8 readers, 60 s)
// through the same test with CAIRN_SOAK_* variables.
#include <fcntl.h>
#include <libnbd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "tests/fs/mount_fixture.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

constexpr uint64_t kBudgetMiB = 64;
constexpr uint64_t kOverheadMiB = 96;  // process, pools, per-connection buffers, heap slack

int Setting(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atoi(value) : fallback;
}

// A number from /proc/PID/status ("VmHWM:", "Threads:").
uint64_t ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size()));
  }
  return 0;
}

size_t OpenDescriptors(pid_t pid) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
  return n;
}

struct Tally {
  std::atomic<uint64_t> reads{0}, failures{0}, mismatches{0};
};

// One client: until `deadline`, alternately a run of sequential 1 MiB reads and random reads
// of 1 byte to 1 MiB, each compared with `image`.
template <typename ReadFn>
void ReadLoop(ReadFn read, const Bytes& image, uint64_t seed, std::chrono::steady_clock::time_point deadline,
              Tally& tally) {
  std::mt19937_64 rng(seed);
  Bytes buffer(1 << 20);
  while (std::chrono::steady_clock::now() < deadline) {
    bool sequential = rng() % 2 == 0;
    uint64_t offset = rng() % image.size();
    for (int i = 0; i < 8 && offset < image.size(); ++i) {
      size_t n = sequential ? std::min<uint64_t>(buffer.size(), image.size() - offset)
                            : 1 + rng() % std::min<uint64_t>(buffer.size(), image.size() - offset);
      if (!read(buffer.data(), n, offset)) {
        ++tally.failures;
      } else if (!std::equal(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(n), image.begin() + static_cast<ptrdiff_t>(offset))) {
        ++tally.mismatches;
      }
      ++tally.reads;
      offset = sequential ? offset + n : rng() % image.size();
    }
  }
}

class SoakTest : public NbdTest {};

TEST_F(SoakTest, ClientsAndReadersGetExactBytesAndLeaveNothingBehind) {
  const int seconds = Setting("CAIRN_SOAK_SECONDS", 8);
  const int nbd_clients = Setting("CAIRN_SOAK_NBD_CLIENTS", 16);
  const int fuse_readers = Setting("CAIRN_SOAK_FUSE_READERS", 4);
  StartServer({"--cache-size", std::to_string(kBudgetMiB) + "M"});
  std::filesystem::path mnt = tmp_ / "mnt";
  std::filesystem::create_directory(mnt);
  CommandResult mounted = RunCairn({"mount", data_.store, mnt.string(), "--cache-size", "64M"}, data_.env);
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  struct Unmount {
    std::filesystem::path mnt;
    ~Unmount() { RunProgram({"fusermount3", "-u", mnt.string()}); }
  } unmount{mnt};

  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let start-up threads settle
  size_t fds_before = OpenDescriptors(pid_);
  uint64_t threads_before = ProcStatus(pid_, "Threads:");

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  Tally nbd_tally, fuse_tally;
  std::atomic<int> connect_failures{0};
  std::vector<std::thread> workers;
  for (int c = 0; c < nbd_clients; ++c) {
    workers.emplace_back([&, c] {
      const Bytes& image = c % 2 ? data_.image_a : data_.image_b;
      nbd_handle* h = nbd_create();
      if (nbd_connect_uri(h, Uri(c % 2 ? kExportA : kLatest).c_str()) != 0) {
        ++connect_failures;
        nbd_close(h);
        return;
      }
      ReadLoop([h](uint8_t* buffer, size_t n, uint64_t offset) { return nbd_pread(h, buffer, n, offset, 0) == 0; },
               image, static_cast<uint64_t>(c), deadline, nbd_tally);
      nbd_shutdown(h, 0);
      nbd_close(h);
    });
  }
  for (int r = 0; r < fuse_readers; ++r) {
    workers.emplace_back([&, r] {
      const Bytes& image = r % 2 ? data_.image_a : data_.image_b;
      std::filesystem::path file = mnt / (r % 2 ? kExportA : kExportB);
      int fd = open(file.c_str(), O_RDONLY);
      if (fd < 0) {
        ++connect_failures;
        return;
      }
      ReadLoop([fd](uint8_t* buffer, size_t n, uint64_t offset) {
                 size_t done = 0;
                 while (done < n) {
                   ssize_t got = pread(fd, buffer + done, n - done, static_cast<off_t>(offset + done));
                   if (got <= 0) return false;
                   done += static_cast<size_t>(got);
                 }
                 return true;
               },
               image, 1000 + static_cast<uint64_t>(r), deadline, fuse_tally);
      close(fd);
    });
  }
  for (std::thread& t : workers) t.join();

  EXPECT_EQ(connect_failures.load(), 0);
  EXPECT_EQ(nbd_tally.failures.load(), 0u);
  EXPECT_EQ(nbd_tally.mismatches.load(), 0u);
  EXPECT_EQ(fuse_tally.failures.load(), 0u);
  EXPECT_EQ(fuse_tally.mismatches.load(), 0u);
  EXPECT_GT(nbd_tally.reads.load(), static_cast<uint64_t>(nbd_clients));
  EXPECT_GT(fuse_tally.reads.load(), static_cast<uint64_t>(fuse_readers));

  // Connections close asynchronously after DISC: give the server a moment to let go.
  EXPECT_TRUE(WaitFor([&] { return OpenDescriptors(pid_) <= fds_before; }, 10))
      << OpenDescriptors(pid_) << " descriptors open, " << fds_before << " before";
  EXPECT_LE(ProcStatus(pid_, "Threads:"), threads_before);
  uint64_t peak_mib = ProcStatus(pid_, "VmHWM:") / 1024;
#if !defined(__SANITIZE_ADDRESS__)
  // ASan's shadow memory and quarantine say nothing about ours: bound the plain build only.
  EXPECT_LE(peak_mib, kBudgetMiB + kOverheadMiB) << "peak RSS " << peak_mib << " MiB";
#endif
  std::printf("soak: %d s, %d NBD clients: %llu reads; %d FUSE readers: %llu reads; server peak RSS %llu MiB\n", seconds,
              nbd_clients, static_cast<unsigned long long>(nbd_tally.reads.load()), fuse_readers,
              static_cast<unsigned long long>(fuse_tally.reads.load()), static_cast<unsigned long long>(peak_mib));
}

}  // namespace
}  // namespace cairn::test
