#include "core/write/dir_backup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/format/chunker.h"
#include "core/pxar/encoder.h"
#include "core/util/error.h"
#include "core/util/file.h"
#include "core/write/chunked_stream_writer.h"
#include "core/write/exclude_patterns.h"
#include "core/write/file_metadata.h"

namespace cairn {
namespace {

constexpr char kExcludeFileName[] = ".pxarexclude";
constexpr char kExcludeCliName[] = ".pxarexclude-cli";
constexpr size_t kReadBuffer = 1 << 20;

std::string Join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Directory entry names sorted by raw bytes (what PBS writes).
std::vector<std::string> SortedNames(int dirfd, const std::string& display) {
  int fd = ::dup(dirfd);
  if (fd < 0) throw SystemError("cannot dup directory fd of " + display, errno);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    throw SystemError("cannot read directory " + display, errno);
  }
  ::rewinddir(dir);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* d = ::readdir(dir)) {
    std::string_view n = d->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) throw SystemError("cannot read directory " + display, err);
  std::sort(names.begin(), names.end());
  return names;
}

class TreeEncoder {
 public:
  // `file_start` (may be empty) is called before each file's contents are encoded.
  TreeEncoder(pxar::Encoder& encoder, CatalogWriter* catalog, const std::filesystem::path& source,
              const DirBackupOptions& options, std::function<void()> file_start)
      : encoder_(encoder), catalog_(catalog), source_(source), options_(options), file_start_(std::move(file_start)) {
    for (const std::string& p : options.excludes) excludes_.Add(p, "");
  }

  DirBackupStats stats() const { return stats_; }

  // Encodes the children of directory `fd` (at `rel`, "" for the root).
  void EncodeChildren(int fd, const std::string& rel, dev_t dev) {
    const size_t patterns_before = excludes_.size();
    ReadExcludeFile(fd, rel);
    for (const std::string& name : SortedNames(fd, Display(rel))) {
      EncodeChild(fd, name, Join(rel, name), dev);
    }
    if (rel.empty() && !options_.excludes.empty() && !options_.split) AddExcludeCliFile();
    excludes_.Truncate(patterns_before);
  }

 private:
  std::string Display(const std::string& rel) const { return (source_ / rel).string(); }

  void ReadExcludeFile(int dirfd, const std::string& rel) {
    UniqueFd fd(::openat(dirfd, kExcludeFileName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return;
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) return;
    std::string text(static_cast<size_t>(st.st_size), '\0');
    size_t got = PreadFull(fd.get(), AsWritable(text), 0, Display(Join(rel, kExcludeFileName)));
    text.resize(got);
    excludes_.AddLines(text, rel);
  }

  static std::span<uint8_t> AsWritable(std::string& s) { return {reinterpret_cast<uint8_t*>(s.data()), s.size()}; }

  void AddExcludeCliFile() {
    std::string text;
    for (const std::string& p : options_.excludes) text += p + "\n";
    pxar::Metadata meta;
    meta.stat.mode = S_IFREG | 0600;
    encoder_.BeginFile(kExcludeCliName, meta, text.size());
    encoder_.WriteFileData(AsBytes(text));
    encoder_.EndFile();
    if (catalog_) catalog_->AddFile(kExcludeCliName, text.size(), 0);
    ++stats_.entries;
  }

  void EncodeChild(int dirfd, const std::string& name, const std::string& rel, dev_t dev) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        ++stats_.vanished;
        return;
      }
      throw SystemError("cannot stat " + Display(rel), errno);
    }
    if (excludes_.Excluded(rel, S_ISDIR(st.st_mode))) return;
    const std::string display = Display(rel);
    if (S_ISREG(st.st_mode)) {
      EncodeFile(dirfd, name, rel, st);
    } else if (S_ISDIR(st.st_mode)) {
      UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) {
        if (errno == ENOENT) {
          ++stats_.vanished;
          return;
        }
        throw SystemError("cannot open directory " + display, errno);
      }
      encoder_.BeginDirectory(name, ReadFileMetadata(dirfd, name, fd.get(), st, display));
      if (catalog_) catalog_->StartDirectory(name);
      if (st.st_dev == dev) EncodeChildren(fd.get(), rel, dev);  // other file systems stay empty
      encoder_.EndDirectory();
      if (catalog_) catalog_->EndDirectory();
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
      for (;;) {
        ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
        if (n < 0) throw SystemError("cannot read symlink " + display, errno);
        if (static_cast<size_t>(n) < target.size()) {
          target.resize(static_cast<size_t>(n));
          break;
        }
        target.resize(target.size() * 2);
      }
      encoder_.AddSymlink(name, ReadFileMetadata(dirfd, name, -1, st, display), target);
      Catalog(CatalogEntryType::kSymlink, name);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      encoder_.AddDevice(name, ReadFileMetadata(dirfd, name, -1, st, display), major(st.st_rdev), minor(st.st_rdev));
      Catalog(S_ISCHR(st.st_mode) ? CatalogEntryType::kCharDevice : CatalogEntryType::kBlockDevice, name);
    } else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
      encoder_.AddSpecial(name, ReadFileMetadata(dirfd, name, -1, st, display));
      Catalog(S_ISFIFO(st.st_mode) ? CatalogEntryType::kFifo : CatalogEntryType::kSocket, name);
    } else {
      return;  // unknown file type
    }
    ++stats_.entries;
    if (options_.progress) options_.progress(stats_);
  }

  void Catalog(CatalogEntryType type, const std::string& name) {
    if (catalog_) catalog_->AddEntry(type, name);
  }

  void EncodeFile(int dirfd, const std::string& name, const std::string& rel, const struct stat& lst) {
    const std::string display = Display(rel);
    if (lst.st_nlink > 1) {
      auto it = hardlinks_.find({lst.st_dev, lst.st_ino});
      if (it != hardlinks_.end()) {
        encoder_.AddHardlink(name, it->second.second, it->second.first);
        Catalog(CatalogEntryType::kHardlink, name);
        return;
      }
    }
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    UniqueFd fd(::openat(dirfd, name.c_str(), flags | O_NOATIME));
    if (!fd && errno == EPERM) fd = UniqueFd(::openat(dirfd, name.c_str(), flags));
    if (!fd) {
      if (errno == ENOENT) {
        ++stats_.vanished;
        return;
      }
      throw SystemError("cannot open " + display, errno);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw SystemError("cannot stat " + display, errno);
    if (!S_ISREG(st.st_mode)) return;  // replaced meanwhile
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (file_start_) file_start_();
    uint64_t start = encoder_.BeginFile(name, ReadFileMetadata(dirfd, name, fd.get(), st, display), size);
    if (st.st_nlink > 1) hardlinks_[{st.st_dev, st.st_ino}] = {start, rel};
    buffer_.resize(kReadBuffer);
    uint64_t done = 0;
    while (done < size) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), size - done));
      size_t got = PreadFull(fd.get(), std::span<uint8_t>(buffer_).first(want), done, display);
      if (got < want) std::fill(buffer_.begin() + static_cast<ptrdiff_t>(got), buffer_.begin() + static_cast<ptrdiff_t>(want), 0);  // shrank: pad
      encoder_.WriteFileData(ByteView(buffer_).first(want));
      done += want;
      stats_.bytes += want;
    }
    encoder_.EndFile();
    if (catalog_) catalog_->AddFile(name, size, st.st_mtim.tv_sec);
  }

  pxar::Encoder& encoder_;
  CatalogWriter* catalog_;
  const std::filesystem::path source_;
  const DirBackupOptions& options_;
  const std::function<void()> file_start_;
  ExcludeList excludes_;
  std::map<std::pair<dev_t, ino_t>, std::pair<uint64_t, std::string>> hardlinks_;  // -> FILENAME offset, path
  Bytes buffer_;
  DirBackupStats stats_;
};

}  // namespace

DirBackupStats BackupDirectory(SnapshotWriter& writer, const std::string& archive_name,
                               const std::filesystem::path& source, CatalogWriter* catalog,
                               const DirBackupOptions& options) {
  UniqueFd root(::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    if (errno == ENOTDIR) throw Error(ErrorKind::kInvalidInput, source.string() + " is not a directory");
    throw SystemError("cannot open directory " + source.string(), errno);
  }
  struct stat st;
  if (::fstat(root.get(), &st) != 0) throw SystemError("cannot stat " + source.string(), errno);
  ChunkedStreamWriter stream(writer, Chunker::kDefaultAverage);
  std::unique_ptr<ChunkedStreamWriter> payload;
  pxar::Encoder::Sink payload_sink;
  std::string prelude;
  if (options.split) {
    catalog = nullptr;  // PBS keeps no catalog for split archives
    payload = std::make_unique<ChunkedStreamWriter>(writer, Chunker::kDefaultAverage);
    payload_sink = [&](ByteView b) { payload->Write(b); };
    if (!options.excludes.empty()) {
      std::string patterns;
      for (const std::string& p : options.excludes) patterns += p + "\n";
      prelude = nlohmann::json{{"exclude-patterns", patterns}}.dump();
    }
  }
  pxar::Encoder encoder([&](ByteView b) { stream.Write(b); },
                        ReadFileMetadata(AT_FDCWD, source.string(), root.get(), st, source.string()), payload_sink,
                        prelude);
  if (catalog) catalog->StartDirectory(archive_name + ".didx");
  // Split archives: each file's PAYLOAD starts a payload chunk where the chunker allows it.
  std::function<void()> file_start;
  if (payload) file_start = [&] { payload->SuggestBoundary(); };
  TreeEncoder tree(encoder, catalog, source, options, std::move(file_start));
  tree.EncodeChildren(root.get(), "", st.st_dev);
  encoder.Finish();
  if (catalog) catalog->EndDirectory();
  if (options.split) {
    const std::string stem = archive_name.ends_with(".pxar") ? archive_name.substr(0, archive_name.size() - 5) : archive_name;
    stream.Finish(stem + ".mpxar.didx");
    payload->Finish(stem + ".ppxar.didx");
  } else {
    stream.Finish(archive_name + ".didx");
  }
  return tree.stats();
}

}  // namespace cairn
