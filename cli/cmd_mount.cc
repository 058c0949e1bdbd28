// cairn mount DATASTORE MOUNTPOINT [-f] [-o OPTIONS]: the datastore as a read-only FUSE
// filesystem (see fs/). Without -f the command returns once the mount is ready and a
// daemon serves it until it is unmounted.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/systemd.h"
#include "core/cache/chunk_cache.h"
#include "core/util/log.h"
#include "fs/mount.h"

namespace cairn::cli {
namespace {

struct MountCommandOptions {
  std::string datastore;
  std::string mountpoint;
  bool foreground = false;
  std::vector<std::string> fuse_options;  // -o values, each a comma-separated list
  KeyOptions key;
  CacheOptions cache;
};

// What -o may say, parsed.
struct FsOptions {
  uint64_t cache_size = kDefaultCacheBudget;
  size_t readahead = kDefaultReadahead;
  size_t threads = 16;
  bool allow_other = false;
  std::string ns;
};

inline constexpr char kMountOptionHelp[] =
    "comma-separated: cache_size=SIZE, readahead=CHUNKS (as --cache-size, --readahead), keyfile=FILE, "
    "namespace=NS (mount only this namespace), allow_other, threads=N (default 16), ro";

size_t ParseCount(const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    unsigned long long n = std::stoull(value, &used);
    if (used == value.size()) return static_cast<size_t>(n);
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::kInvalidInput, "mount option " + key + " needs a number, not '" + value + "'");
}

// -o values override the flags they repeat (--cache-size, --readahead).
FsOptions ParseFsOptions(const std::vector<std::string>& lists, const CacheOptions& cache, KeyOptions& key) {
  FsOptions options;
  options.cache_size = cache.budget();
  options.readahead = cache.readahead;
  for (const std::string& list : lists) {
    std::stringstream items(list);
    std::string item;
    while (std::getline(items, item, ',')) {
      size_t eq = item.find('=');
      std::string name = item.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
      if (name == "cache_size") options.cache_size = ParseByteSize(value);
      else if (name == "readahead") options.readahead = ParseCount(name, value);
      else if (name == "threads") options.threads = std::max<size_t>(1, ParseCount(name, value));
      else if (name == "keyfile") key.keyfile = value;
      else if (name == "namespace") options.ns = value;
      else if (name == "allow_other" && eq == std::string::npos) options.allow_other = true;
      else if (name == "ro" || name.empty()) continue;
      else throw Error(ErrorKind::kInvalidInput, "unknown mount option '" + item + "' (" + kMountOptionHelp + ")");
    }
  }
  return options;
}

// Forks; the parent waits until the child reports the mount ready (then exits 0) or dies
// (then exits with the child's code). Returns in the child only, with the pipe's write end.
int Daemonize() {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) throw SystemError("pipe", errno);
  pid_t pid = fork();
  if (pid < 0) throw SystemError("fork", errno);
  if (pid > 0) {
    close(ready[1]);
    char byte;
    ssize_t n;
    do n = read(ready[0], &byte, 1); while (n < 0 && errno == EINTR);
    close(ready[0]);
    if (n == 1) throw ExitStatus{kExitOk};
    int status = 0;
    waitpid(pid, &status, 0);
    throw ExitStatus{WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : kExitIo};
  }
  close(ready[0]);
  setsid();
  if (chdir("/") != 0) throw SystemError("chdir /", errno);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    close(null);
  }
  return ready[1];
}

void RunMount(const MountCommandOptions& o) {
  KeyOptions key = o.key;
  const ConfiguredDatastore* configured = FindConfiguredDatastore(o.datastore);
  std::vector<std::string> option_lists = o.fuse_options;
  if (configured != nullptr && !configured->mount_options.empty()) {
    option_lists.insert(option_lists.begin(), configured->mount_options);
  }
  FsOptions fs_options = ParseFsOptions(option_lists, o.cache, key);
  BackupNamespace base = ParseNamespaceName(fs_options.ns);
  std::error_code ec;
  // Absolute paths: the daemon changes to "/".
  std::string spec = configured == nullptr && std::filesystem::exists(o.datastore, ec) ? std::filesystem::absolute(o.datastore).string() : o.datastore;
  fs::MountOptions mount;
  if (!o.mountpoint.empty()) {
    mount.mountpoint = std::filesystem::absolute(o.mountpoint);
  } else if (configured != nullptr && !configured->mountpoint.empty()) {
    mount.mountpoint = configured->mountpoint;
    std::filesystem::create_directories(mount.mountpoint, ec);
  } else {
    throw Error(ErrorKind::kInvalidInput, "no MOUNTPOINT given and none configured for datastore '" + o.datastore + "'");
  }
  mount.allow_other = fs_options.allow_other;
  mount.max_threads = fs_options.threads;
  if (!std::filesystem::is_directory(mount.mountpoint, ec)) {
    throw Error(ErrorKind::kNotFound, "mount point " + mount.mountpoint.string() + " is not a directory");
  }
  std::unique_ptr<CryptConfig> crypt = LoadKey(key);
  Datastore datastore = OpenDatastore(spec);
  if (!base.IsRoot() && !datastore.NamespaceExists(base)) {
    throw Error(ErrorKind::kNotFound, "namespace '" + base.Name() + "' does not exist in " + datastore.root().string());
  }

  // Fork before any thread exists: the cache below starts its pools.
  int ready_fd = o.foreground ? -1 : Daemonize();
  ChunkCache cache(ChunkCacheOptions{.budget = fs_options.cache_size, .bound_process = true});
  fs::FsContext context{&datastore, &cache, crypt.get(), ReadOptions{fs_options.readahead}, base,
                        getuid(), getgid(), static_cast<int64_t>(std::time(nullptr))};
  fs::ServeMount(context, mount, [&] {
    std::string status = "mounted " + datastore.root().string() + " at " + mount.mountpoint.string();
    Log(LogLevel::kInfo, status);
    NotifyReady(status);
    if (ready_fd < 0) return;
    // Tell the waiting parent, and let go of its stderr so that whoever ran us sees EOF. The
    // daemon's messages go to the journal from here on, or nowhere without one.
    (void)!write(ready_fd, "1", 1);
    close(ready_fd);
    if (RedirectStderrToJournal()) {
      SetLogFormat(LogFormat::kJournal);
      return;
    }
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, STDERR_FILENO);
      close(null);
    }
  });
  Log(LogLevel::kDebug, "chunk cache at unmount: " + CacheStatsJson(cache.stats()).dump());
}

}  // namespace

void RegisterMountCommand(CLI::App& app, CommandContext&) {
  auto o = std::make_shared<MountCommandOptions>();
  CLI::App* cmd = app.add_subcommand("mount", "Mount a datastore read-only as a FUSE filesystem");
  cmd->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("MOUNTPOINT", o->mountpoint, "an existing directory (default: the datastore's configured mountpoint)");
  cmd->add_flag("-f,--foreground", o->foreground, "stay in the foreground (default: return once mounted)");
  cmd->add_option("-o", o->fuse_options, kMountOptionHelp)->allow_extra_args(false);
  AddKeyOptions(cmd, o->key);
  AddCacheOptions(cmd, o->cache);
  cmd->footer(std::string("Unmount with `fusermount3 -u MOUNTPOINT`, or SIGINT/SIGTERM with -f.\n") + kExitCodeHelp);
  cmd->callback([o] { RunMount(*o); });
}

}  // namespace cairn::cli
