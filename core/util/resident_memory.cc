#include "core/util/resident_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace cairn {

std::optional<uint64_t> ResidentBytes() {
  // statm: "size resident shared text lib data dt", in pages. A raw read: this runs on a
  // decode thread every few chunks, and needs no stream state or allocation.
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[128];
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return std::nullopt;
  text[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(text, "%llu %llu", &size, &resident) != 2) return std::nullopt;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace cairn
