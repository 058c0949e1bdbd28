#include "core/util/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/util/error.h"

namespace cairn {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

UniqueFd OpenForReadingAt(int dir, const std::filesystem::path& dir_path, const char* relative) {
  int fd = ::openat(dir, relative, O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dir, relative, O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError("cannot open " + (dir_path / relative).string(), errno);
  return UniqueFd(fd);
}

UniqueFd OpenForReading(const std::filesystem::path& path) { return OpenForReadingAt(AT_FDCWD, {}, path.c_str()); }

namespace {

// A directory descriptor that does not update the directory's atime when listed.
int OpenDirectoryNoAtime(int dir, const char* relative) {
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  int fd = ::openat(dir, relative, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dir, relative, flags);
  return fd;
}

}  // namespace

UniqueFd OpenDirectory(const std::filesystem::path& dir) {
  int fd = OpenDirectoryNoAtime(AT_FDCWD, dir.c_str());
  if (fd < 0 && errno != ENOENT && errno != ENOTDIR) throw SystemError("cannot open directory " + dir.string(), errno);
  return UniqueFd(fd);
}

std::vector<std::string> ListSubdirectories(const UniqueFd& dir, const std::filesystem::path& display) {
  std::vector<std::string> names;
  if (!dir) return names;
  // fdopendir takes the descriptor (and its offset): give it a fresh one.
  int fd = OpenDirectoryNoAtime(dir.get(), ".");
  DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw SystemError("cannot list " + display.string(), err);
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> ListSubdirectories(const std::filesystem::path& dir) {
  return ListSubdirectories(OpenDirectory(dir), dir);
}

bool ExistsAt(int dir, const char* relative) {
  struct stat st;
  return ::fstatat(dir, relative, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

size_t PreadFull(int fd, std::span<uint8_t> out, uint64_t offset, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read " + path.string(), errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void PwriteFull(int fd, ByteView data, uint64_t offset, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw SystemError("cannot write " + path.string() + " at offset " + std::to_string(offset + done),
                        n < 0 ? errno : EIO);
    }
    done += static_cast<size_t>(n);
  }
}

Bytes ReadWholeFile(const std::filesystem::path& path, size_t max_size, Bytes buffer) {
  return ReadWholeFileAt(AT_FDCWD, {}, path.c_str(), max_size, std::move(buffer));
}

Bytes ReadWholeFileAt(int dir, const std::filesystem::path& dir_path, const char* relative, size_t max_size,
                      Bytes buffer) {
  UniqueFd fd = OpenForReadingAt(dir, dir_path, relative);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    throw SystemError("cannot stat " + (dir_path / relative).string(), errno);
  }
  std::filesystem::path path = dir_path / relative;
  CheckWholeFileReadable(path, st.st_mode, static_cast<uint64_t>(st.st_size), max_size);
  ReadWholeFileInto(fd.get(), static_cast<size_t>(st.st_size), buffer, path);
  return buffer;
}

void CheckWholeFileReadable(const std::filesystem::path& path, mode_t mode, uint64_t size, size_t max_size) {
  if (!S_ISREG(mode)) throw Error(ErrorKind::kInvalidInput, path.string() + " is not a regular file");
  if (size > max_size) {
    throw Error(ErrorKind::kInvalidInput, path.string() + " is " + std::to_string(size) +
                                              " bytes, more than the limit of " + std::to_string(max_size));
  }
}

void WriteFull(int fd, ByteView data, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot write " + path.string(), errno);
    }
    done += static_cast<size_t>(n);
  }
}

namespace {

// Fills the already created temporary file, then renames it over `path`; removes it on error.
void FinishAtomicWrite(UniqueFd fd, const std::string& tmp, const std::filesystem::path& path, ByteView data) {
  try {
    WriteFull(fd.get(), data, tmp);
    if (::fchmod(fd.get(), 0644) != 0) throw SystemError("cannot chmod " + tmp, errno);
    if (::close(fd.Release()) != 0) throw SystemError("cannot write " + tmp, errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw SystemError("cannot rename " + tmp + " to " + path.string(), errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace

void WriteFileAtomic(const std::filesystem::path& path, ByteView data, std::string_view tmp_suffix) {
  std::string tmpl = path.string() + std::string(tmp_suffix) + "XXXXXX";
  int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (raw < 0) throw SystemError("cannot create a temporary file beside " + path.string(), errno);
  FinishAtomicWrite(UniqueFd(raw), tmpl, path, data);
}

void WriteFileAtomicVia(const std::filesystem::path& path, const std::filesystem::path& tmp_path, ByteView data) {
  int raw = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (raw < 0) throw SystemError("cannot create " + tmp_path.string(), errno);
  FinishAtomicWrite(UniqueFd(raw), tmp_path.string(), path, data);
}

void ChownToBackupUser(const std::filesystem::path& path) {
  if (::geteuid() != 0) return;
  static const struct passwd* backup = ::getpwnam("backup");
  if (backup != nullptr) (void)!::lchown(path.c_str(), backup->pw_uid, backup->pw_gid);
}

}  // namespace cairn
