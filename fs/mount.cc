#include "fs/mount.h"

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

  {
    Session session;  // unmounts before the adapter (and its open files) goes away
    session.se = fuse_session_new(&args, &FuseAdapter::Operations(), sizeof(fuse_lowlevel_ops), &adapter);
    fuse_opt_free_args(&args);
    if (session.se == nullptr) throw Error(ErrorKind::kIo, "cannot create the FUSE session");
    if (fuse_set_signal_handlers(session.se) != 0) throw Error(ErrorKind::kIo, "cannot install signal handlers");
    session.handlers = true;
    if (fuse_session_mount(session.se, options.mountpoint.c_str()) != 0) {
      throw Error(ErrorKind::kIo, "cannot mount at " + options.mountpoint.string());
    }
    session.mounted = true;
    on_ready();
    LoopConfig loop;
    fuse_loop_cfg_set_max_threads(loop.config, static_cast<unsigned>(options.max_threads));
    fuse_loop_cfg_set_clone_fd(loop.config, 0);
    fuse_session_loop_mt(session.se, loop.config);
  }
}

}  // namespace cairn::fs
