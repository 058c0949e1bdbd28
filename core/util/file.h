// RAII file descriptors and whole-file I/O with the error messages cairn promises: every
// failure names the path and the system's reason.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/util/bytes.h"

namespace cairn {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// Opens for reading with O_NOATIME where the kernel permits it (file owner or CAP_FOWNER),
// so that reading a datastore does not even touch access times. Throws Error.
UniqueFd OpenForReading(const std::filesystem::path& path);

// The *At variants resolve `relative` against the open directory `dir` (or the working
// directory for AT_FDCWD): walking many files of one directory then costs no lookups from
// the root. Error messages name `dir_path / relative`.
UniqueFd OpenForReadingAt(int dir, const std::filesystem::path& dir_path, const char* relative);

// Opens a directory to use with the *At functions (O_NOATIME where permitted); an empty
// UniqueFd when it does not exist. Throws Error for other failures.
UniqueFd OpenDirectory(const std::filesystem::path& dir);

// Names of the subdirectories of `dir`, sorted; an absent directory yields an empty list.
// Opened with O_NOATIME where permitted, so listing a datastore leaves its atimes alone.
std::vector<std::string> ListSubdirectories(const std::filesystem::path& dir);
// The same for a directory opened with OpenDirectory; `display` names it in errors.
std::vector<std::string> ListSubdirectories(const UniqueFd& dir, const std::filesystem::path& display);

// Whether `relative` (resolved against `dir`, symlinks not followed) exists.
bool ExistsAt(int dir, const char* relative);

// Reads a whole file. Throws Error (kNotFound when absent, kInvalidInput when larger than
// max_size, kIo otherwise). `buffer`: memory to read into, whatever it holds (a recycled
// buffer, which unlike fresh memory is neither zeroed nor page-faulted in again).
Bytes ReadWholeFile(const std::filesystem::path& path, size_t max_size, Bytes buffer = {});
Bytes ReadWholeFileAt(int dir, const std::filesystem::path& dir_path, const char* relative, size_t max_size,
                      Bytes buffer = {});

// Reads exactly out.size() bytes at `offset`, or fewer at end of file; returns the count.
size_t PreadFull(int fd, std::span<uint8_t> out, uint64_t offset, const std::filesystem::path& path);

// What ReadWholeFile checks before reading: throws Error(kInvalidInput) unless `mode` is a
// regular file's and `size` at most `max_size`, naming `path`.
void CheckWholeFileReadable(const std::filesystem::path& path, mode_t mode, uint64_t size, size_t max_size);

// Reads the `size` bytes of the file open as `fd` from its start into `buffer` (reused when
// large enough, whatever it holds); fewer when the file is shorter by now.
template <typename Buffer>
void ReadWholeFileInto(int fd, size_t size, Buffer& buffer, const std::filesystem::path& path) {
  if (buffer.capacity() < size) Buffer().swap(buffer);  // growing would copy what it holds
  buffer.resize(size);
  buffer.resize(PreadFull(fd, buffer, 0, path));
}

// Writes all of `data` at `offset` (pwrite). Throws Error naming `path` and the offset.
void PwriteFull(int fd, ByteView data, uint64_t offset, const std::filesystem::path& path);

// Writes all of `data` to fd. Throws Error naming `path`.
void WriteFull(int fd, ByteView data, const std::filesystem::path& path);

// Writes `data` to a temporary file beside `path` and renames it into place, so readers see
// the old file or the new one, never a partial file. The temporary name ends with
// `tmp_suffix` followed by random characters (PBS convention: ".tmp_XXXXXX").
void WriteFileAtomic(const std::filesystem::path& path, ByteView data, std::string_view tmp_suffix = ".tmp_");

// The same with a fixed temporary name (PBS writes indexes as "<name>.tmp_fidx"), which
// must not exist yet.
void WriteFileAtomicVia(const std::filesystem::path& path, const std::filesystem::path& tmp_path, ByteView data);

// chown to backup:backup when running as root and that user exists: PBS's daemons run as
// `backup` and must be able to use what we create (spec §1.7). A no-op otherwise.
void ChownToBackupUser(const std::filesystem::path& path);

}  // namespace cairn
