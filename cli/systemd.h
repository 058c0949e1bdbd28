// Running under systemd (sd-daemon(3)): readiness and stop notification, socket activation
// and the journal. Every function is a harmless no-op when systemd did not start us.
#pragma once

#include <string>
#include <vector>

namespace cairn::cli {

// True when stderr is the journal stream systemd connected it to ($JOURNAL_STREAM names the
// stream's device and inode, so a redirected stderr does not count).
bool StderrIsJournal();

// Points stderr at a new journal stream whose lines carry syslog priority prefixes, for a
// daemon that lets go of its terminal. False (stderr untouched) when journald is not there.
bool RedirectStderrToJournal();

// READY=1 with a one-line STATUS for the service manager ($NOTIFY_SOCKET; Type=notify).
void NotifyReady(const std::string& status);

// The listening sockets systemd passed to this process (LISTEN_FDS and LISTEN_PID), in
// order; empty when there are none. The variables are removed so that children do not
// take them for theirs, and the descriptors become close-on-exec.
std::vector<int> TakeActivationSockets();

}  // namespace cairn::cli
