#include "fs/mount.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fs/fuse_adapter.h"

namespace cairn::fs {
namespace {

// Mount option values must not contain unescaped commas.
std::string EscapeOption(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// RAII for the session and each step of setting it up, undone in reverse order.
struct Session {
  fuse_session* se = nullptr;
  bool handlers = false;
  bool mounted = false;
  ~Session() {
    if (mounted) fuse_session_unmount(se);
    if (handlers) fuse_remove_signal_handlers(se);
    if (se != nullptr) fuse_session_destroy(se);
  }
};

// A path as /proc/self/mountinfo writes it: space, tab, newline and backslash in octal.
std::string MountinfoEscape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      char octal[5];
      std::snprintf(octal, sizeof octal, "\\%03o", static_cast<unsigned char>(c));
      out += octal;
    } else {
      out += c;
    }
  }
  return out;
}

// The kernel reads ahead at most 128 KiB on a FUSE mount (INIT can lower its default, not
// raise it), so a sequential reader would wait for each 128 KiB. Widening the window takes
// a write to the mount's bdi in sysfs, which only root may do; for anyone else the default
// stays. The device number comes from mountinfo: a stat of the mount point would wait for
// the FUSE INIT that the not yet running session loop answers.
void WidenKernelReadAhead(const std::filesystem::path& mountpoint) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line, device, wanted = MountinfoEscape(mountpoint.string());
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (fields >> id >> parent >> dev >> root >> point && point == wanted) device = dev;  // the last mount wins
  }
  if (device.empty()) return;
  std::ofstream read_ahead("/sys/class/bdi/" + device + "/read_ahead_kb");
  read_ahead << kKernelReadAhead / 1024 << std::flush;
  if (!read_ahead) Log(LogLevel::kDebug, "kernel read-ahead of " + mountpoint.string() + " left at its default");
}

// Lets the adapter send notifications through the session while it exists.
struct AdapterSession {
  AdapterSession(FuseAdapter& fs, fuse_session* session) : adapter(fs) { fs.set_session(session); }
  ~AdapterSession() { adapter.set_session(nullptr); }
  FuseAdapter& adapter;
};

struct LoopConfig {
  fuse_loop_config* config = fuse_loop_cfg_create();
  ~LoopConfig() { fuse_loop_cfg_destroy(config); }
};

}  // namespace

void ServeMount(const FsContext& context, const MountOptions& options, const std::function<void()>& on_ready) {
  FuseAdapter adapter(context);
  std::string mount_options = "ro,default_permissions,subtype=cairn,max_read=" + std::to_string(kMaxRead) + ",fsname=cairn:" +
                              EscapeOption(context.datastore->root().string());
  if (options.allow_other) mount_options += ",allow_other";
  std::vector<std::string> arguments = {"cairn", "-o", mount_options};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());

  // As mountinfo will show it; resolved now, since once mounted a lookup would wait for INIT.
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::canonical(options.mountpoint, ec);
  {
    Session session;  // unmounts before the adapter (and its file readers) goes away
    session.se = fuse_session_new(&args, &FuseAdapter::Operations(), sizeof(fuse_lowlevel_ops), &adapter);
    fuse_opt_free_args(&args);
    if (session.se == nullptr) throw Error(ErrorKind::kIo, "cannot create the FUSE session");
    AdapterSession adapter_session(adapter, session.se);
    if (fuse_set_signal_handlers(session.se) != 0) throw Error(ErrorKind::kIo, "cannot install signal handlers");
    session.handlers = true;
    if (fuse_session_mount(session.se, options.mountpoint.c_str()) != 0) {
      throw Error(ErrorKind::kIo, "cannot mount at " + options.mountpoint.string());
    }
    session.mounted = true;
    if (!ec) WidenKernelReadAhead(canonical);
    on_ready();
    LoopConfig loop;
    fuse_loop_cfg_set_max_threads(loop.config, static_cast<unsigned>(options.max_threads));
    fuse_loop_cfg_set_clone_fd(loop.config, 0);
    fuse_session_loop_mt(session.se, loop.config);
  }
  FuseAdapter::PushStats pushed = adapter.push_stats();
  Log(LogLevel::kDebug, "pushed " + std::to_string(pushed.files) + " files (" + std::to_string(pushed.bytes) +
                            " bytes) into the page cache ahead of their readers");
}

}  // namespace cairn::fs
