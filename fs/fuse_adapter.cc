#include "fs/fuse_adapter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "core/util/anonymous_mapping.h"
#include "core/util/log.h"
#include "fs/errno_map.h"
#include "fs/inode.h"
#include "fs/root_dir.h"

namespace cairn::fs {
namespace {

// Attributes and names of the datastore's own directories are revalidated after kFreshness;
// those of immutable nodes (inside snapshots) are kept by the kernel for a day, so that a
// path deep inside an archive is not looked up again component by component.
constexpr double kTimeout = std::chrono::duration<double>(kFreshness).count();
constexpr double kImmutableTimeout = 24 * 3600;
constexpr blksize_t kPreferredIo = kMaxRead;

double TimeoutOf(const Node& node) { return node.immutable() ? kImmutableTimeout : kTimeout; }

FuseAdapter& AdapterOf(fuse_req_t req) { return *static_cast<FuseAdapter*>(fuse_req_userdata(req)); }

// Runs `body`, which replies on success; replies with the errno of whatever it throws.
// `open_file`: the request reads a file, where "not found" means the data vanished.
template <typename Body>
void Serve(fuse_req_t req, const char* what, Body body, bool open_file = false) {
  try {
    body();
  } catch (const Error& e) {
    int err = ErrnoFor(e, open_file);
    std::string message = std::string(what) + ": " + e.what();
    if (e.kind() == ErrorKind::kCrypto) message += " (a key is needed: mount with -o keyfile=FILE)";
    if (err != ENOENT && AdapterOf(req).logged_failures().Insert(message)) Log(LogLevel::kWarning, message);
    fuse_reply_err(req, err);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, std::string(what) + ": " + e.what());
    fuse_reply_err(req, EIO);
  }
}

struct stat StatOf(const FsContext& context, uint64_t ino, const NodeAttr& attr) {
  struct stat st;
  std::memset(&st, 0, sizeof st);
  st.st_ino = ino;
  switch (attr.type) {
    case NodeType::kDirectory: st.st_mode = S_IFDIR | 0555; st.st_nlink = 2; break;
    case NodeType::kFile: st.st_mode = S_IFREG | 0444; st.st_nlink = 1; break;
    case NodeType::kSymlink: st.st_mode = S_IFLNK | 0777; st.st_nlink = 1; break;
    case NodeType::kOther: st.st_nlink = 1; break;
  }
  st.st_uid = context.uid;
  st.st_gid = context.gid;
  st.st_size = static_cast<off_t>(attr.size);
  st.st_blocks = static_cast<blkcnt_t>(attr.blocks != 0 ? attr.blocks : (attr.size + 511) / 512);
  st.st_blksize = kPreferredIo;
  st.st_atim.tv_sec = st.st_mtim.tv_sec = st.st_ctim.tv_sec = attr.mtime;
  if (const std::optional<PosixAttr>& posix = attr.posix) {
    st.st_mode = posix->mode;
    st.st_uid = posix->uid;
    st.st_gid = posix->gid;
    st.st_nlink = posix->nlink;
    st.st_rdev = static_cast<dev_t>(posix->rdev);
    st.st_atim = {posix->atime, posix->atime_nsec};
    st.st_mtim.tv_nsec = posix->mtime_nsec;
    st.st_ctim = {posix->ctime, posix->ctime_nsec};
  }
  return st;
}

// The entry of `node`, a child of `parent`: the name stays valid as long as the parent cannot
// change, the attributes as long as the node cannot.
fuse_entry_param EntryOf(fuse_req_t req, const Node& parent, const Node& node, const NodeAttr& attr) {
  fuse_entry_param entry;
  std::memset(&entry, 0, sizeof entry);
  entry.ino = node.ino();
  entry.generation = 1;
  entry.attr = StatOf(AdapterOf(req).context(), node.ino(), attr);
  entry.attr_timeout = TimeoutOf(node);
  entry.entry_timeout = TimeoutOf(parent);
  return entry;
}

void Init(void* adapter, fuse_conn_info* conn) {
  FuseAdapter& fs = *static_cast<FuseAdapter*>(adapter);
  fs.set_zero_message_open((conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) != 0);
  fs.set_zero_message_opendir((conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0);
  // 1 MiB reads (libfuse insists that this repeats the max_read mount option) and
  // read-ahead; the kernel clamps both to what it supports, read-ahead to the window
  // WidenKernelReadAhead (mount.cc) set.
  conn->max_read = kMaxRead;
  conn->max_readahead = kKernelReadAhead;
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_ATOMIC_O_TRUNC);
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Serve(req, "lookup", [&] {
    FuseAdapter& fs = AdapterOf(req);
    std::shared_ptr<Node> dir = fs.Get(parent);
    std::shared_ptr<Node> child = dir->Lookup(name);
    if (!child) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    NodeAttr attr = child->Attr();
    child = fs.Remember(std::move(child));
    fuse_entry_param entry = EntryOf(req, *dir, *child, attr);
    if (fuse_reply_entry(req, &entry) != 0) fs.Forget(child->ino(), 1);  // interrupted
  });
}

void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  AdapterOf(req).Forget(ino, nlookup);
  fuse_reply_none(req);
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) AdapterOf(req).Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Serve(req, "getattr", [&] {
    FuseAdapter& fs = AdapterOf(req);
    std::shared_ptr<Node> node = fs.Get(ino);
    NodeAttr attr = node->Attr();
    struct stat st = StatOf(fs.context(), ino, attr);
    fuse_reply_attr(req, &st, TimeoutOf(*node));
  });
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  Serve(req, "readlink", [&] { fuse_reply_readlink(req, AdapterOf(req).Get(ino)->ReadLink().c_str()); });
}

// Every inode's content is fixed (node.h), so the kernel may keep its page cache across
// opens and needs no handle: ENOSYS tells it so once for the whole mount (zero-message
// open), and from then on a file is read without an open or a release. Reads go to the
// inode's reader (file_readers.h), whatever opened it.
void Open(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
    fuse_reply_err(req, EROFS);
  } else if (AdapterOf(req).zero_message_open()) {
    fuse_reply_err(req, ENOSYS);
  } else {
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
  }
}

// Replies with the pieces' memory, which they keep alive until the reply is written; zero
// pieces point at a shared block of zeros.
void ReplyShared(fuse_req_t req, const std::vector<SharedBytes>& pieces) {
  std::vector<iovec> iov;
  iov.reserve(pieces.size());
  for (const SharedBytes& piece : pieces) {
    ForEachBuffer(piece, 0, piece.bytes.size(),
                  [&](ByteView bytes) { iov.push_back({const_cast<uint8_t*>(bytes.data()), bytes.size()}); });
  }
  fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
}

// A reader beginning a file will likely go on to the next ones (Node::ReadNext), which are
// pushed once it has its reply.
void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  FuseAdapter& fs = AdapterOf(req);
  bool replied = false;
  Serve(req, "read", [&] {
    std::shared_ptr<FileReader> file = fs.ReaderOf(ino);
    if (std::optional<std::vector<SharedBytes>> pieces = file->ReadShared(static_cast<uint64_t>(offset), size)) {
      ReplyShared(req, *pieces);
    } else {
      // A buffer of its own, back to the kernel with the reply. Kept per worker thread,
      // such buffers held max_read bytes for every thread that ever read a listing or an ext
      // file (10 MiB after one read of a 200,000-snapshot index.json, BENCHMARKS.md).
      AnonymousMapping buffer(size);
      size_t n = file->Read(static_cast<uint64_t>(offset), buffer.bytes());
      fuse_reply_buf(req, reinterpret_cast<const char*>(buffer.bytes().data()), n);
    }
    replied = true;
  }, /*open_file=*/true);
  if (replied && offset == 0) fs.PushReadNext(ino);
}

// With zero-message opendir, ENOSYS tells the kernel once for the whole mount that
// directories need no opendir and releasedir (FuseAdapter::zero_message_opendir); readdir
// then comes without a handle. Otherwise opendir takes the listing.
void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Serve(req, "opendir", [&] {
    FuseAdapter& fs = AdapterOf(req);
    if (fs.zero_message_opendir()) {
      fuse_reply_err(req, ENOSYS);
      return;
    }
    fi->fh = fs.AddListing(fs.MakeListing(ino));
    if (fuse_reply_open(req, fi) != 0) fs.ReleaseListing(fi->fh);
  });
}

// Replies to readdir(plus) with the entries of `listing` from index `offset` on, as many as
// fit in `size` bytes. `add(buffer, space, entry, next)` adds one entry the
// fuse_add_direntry way: it returns the space the entry needs and writes it only if it fits.
// False when the reply could not be sent (the request was interrupted).
template <typename AddEntry>
bool ReplyListing(fuse_req_t req, size_t size, off_t offset, const FuseAdapter::Listing& listing, AddEntry add) {
  const std::vector<DirEntry>& entries = listing.entries;
  // Not zeroed: the kernel asks for up to 1 MiB per call, and the reply sends only what is filled.
  std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(size);
  size_t used = 0;
  for (size_t i = static_cast<size_t>(offset); i < entries.size(); ++i) {
    size_t need = add(buffer.get() + used, size - used, entries[i], static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  return fuse_reply_buf(req, buffer.get(), used) == 0;
}

// What a listing entry says about itself without its node: inode number and file type.
struct stat ListedStat(const DirEntry& listed) {
  struct stat st;
  std::memset(&st, 0, sizeof st);
  st.st_ino = listed.ino;
  st.st_mode = ModeOfType(listed.type, listed.mode);
  return st;
}

void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  Serve(req, "readdir", [&] {
    std::shared_ptr<const FuseAdapter::Listing> listing =
        AdapterOf(req).ListingFor(ino, fi->fh, static_cast<uint64_t>(offset));
    ReplyListing(req, size, offset, *listing, [&](char* buffer, size_t space, const DirEntry& listed, off_t next) {
      struct stat st = ListedStat(listed);
      return fuse_add_direntry(req, buffer, space, listed.name.c_str(), &st, next);
    });
  });
}

// As ReadDir, with each entry's attributes inside immutable directories (archives, image
// filesystems: where trees are large and attributes cheap), so that `ls -l` or opening the
// entries needs no lookup each; every entry sent with attributes counts as a lookup (the
// kernel forgets it later). Other entries go out without attributes (node 0), which the
// kernel takes as "look it up when needed": those of the datastore's own directories, whose
// attributes may be costly (a streamed index.json's size), and any whose node cannot be had
// (damaged), so that the lookup reports the error.
void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  Serve(req, "readdirplus", [&] {
    FuseAdapter& fs = AdapterOf(req);
    std::shared_ptr<Node> dir = fs.Get(ino);
    std::vector<uint64_t> remembered;
    std::shared_ptr<const FuseAdapter::Listing> listing = fs.ListingFor(ino, fi->fh, static_cast<uint64_t>(offset));
    bool sent = ReplyListing(req, size, offset, *listing, [&](char* buffer, size_t space, const DirEntry& listed, off_t next) {
      const char* name = listed.name.c_str();
      size_t need = fuse_add_direntry_plus(req, nullptr, 0, name, nullptr, 0);
      if (need > space) return need;
      fuse_entry_param entry;
      std::memset(&entry, 0, sizeof entry);
      entry.attr = ListedStat(listed);
      if (dir->immutable() && !listed.deferred && listed.name != "." && listed.name != "..") {
        try {
          if (std::shared_ptr<Node> child = dir->Lookup(listed.name)) {
            NodeAttr attr = child->Attr();
            child = fs.Remember(std::move(child));
            remembered.push_back(child->ino());
            entry = EntryOf(req, *dir, *child, attr);
          }
        } catch (const Error&) {
          // Left to the kernel's lookup, as above.
        }
      }
      return fuse_add_direntry_plus(req, buffer, space, name, &entry, next);
    });
    if (!sent) {
      for (uint64_t child : remembered) fs.Forget(child, 1);
    }
  });
}

void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  AdapterOf(req).ReleaseListing(fi->fh);
  fuse_reply_err(req, 0);
}

// The xattr protocol: size 0 asks for the length, else the value must fit in `size`.
void ReplyXattr(fuse_req_t req, const std::string& value, size_t size) {
  if (size == 0) {
    fuse_reply_xattr(req, value.size());
  } else if (value.size() > size) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, value.data(), value.size());
  }
}

void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Serve(req, "getxattr", [&] {
    std::optional<std::string> value = AdapterOf(req).Get(ino)->GetXattr(name);
    if (!value) {
      fuse_reply_err(req, ENODATA);
      return;
    }
    ReplyXattr(req, *value, size);
  });
}

void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Serve(req, "listxattr", [&] {
    std::string names;
    for (const std::string& name : AdapterOf(req).Get(ino)->ListXattrs()) {
      names += name;
      names += '\0';
    }
    ReplyXattr(req, names, size);
  });
}

void StatFs(fuse_req_t req, fuse_ino_t) {
  Serve(req, "statfs", [&] {
    const std::filesystem::path& root = AdapterOf(req).context().datastore->root();
    struct statvfs st;
    if (::statvfs(root.c_str(), &st) != 0) throw SystemError("statvfs " + root.string(), errno);
    // The size of the filesystem holding the datastore; nothing is free: this one is read-only.
    st.f_bfree = st.f_bavail = 0;
    st.f_ffree = st.f_favail = 0;
    st.f_namemax = 255;
    st.f_flag |= ST_RDONLY;
    fuse_reply_statfs(req, &st);
  });
}

void Access(fuse_req_t req, fuse_ino_t, int mask) { fuse_reply_err(req, (mask & W_OK) ? EROFS : 0); }

// Everything that would change the tree or a file.
void SetAttr(fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) { fuse_reply_err(req, EROFS); }
void MkNod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { fuse_reply_err(req, EROFS); }
void MkDir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { fuse_reply_err(req, EROFS); }
void Unlink(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }
void SymLink(fuse_req_t req, const char*, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }
void Rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) { fuse_reply_err(req, EROFS); }
void Link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }
void Write(fuse_req_t req, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) { fuse_reply_err(req, EROFS); }
void Create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) { fuse_reply_err(req, EROFS); }
void SetXattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) { fuse_reply_err(req, EROFS); }
void RemoveXattr(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }
void Fallocate(fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) { fuse_reply_err(req, EROFS); }

fuse_lowlevel_ops MakeOperations() {
  fuse_lowlevel_ops ops;
  std::memset(&ops, 0, sizeof ops);
  ops.init = Init;
  ops.lookup = Lookup;
  ops.forget = Forget;
  ops.forget_multi = ForgetMulti;
  ops.getattr = GetAttr;
  ops.readlink = ReadLink;
  ops.open = Open;
  ops.read = Read;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.readdirplus = ReadDirPlus;
  ops.releasedir = ReleaseDir;
  ops.statfs = StatFs;
  ops.access = Access;
  ops.setattr = SetAttr;
  ops.mknod = MkNod;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = Unlink;
  ops.symlink = SymLink;
  ops.rename = Rename;
  ops.link = Link;
  ops.write = Write;
  ops.create = Create;
  ops.setxattr = SetXattr;
  ops.getxattr = GetXattr;
  ops.listxattr = ListXattr;
  ops.removexattr = RemoveXattr;
  ops.fallocate = Fallocate;
  return ops;
}

}  // namespace

FuseAdapter::FuseAdapter(const FsContext& context) : context_(context) {
  nodes_[kRootIno] = Known{std::make_shared<RootDir>(context), 1};
}

FuseAdapter::~FuseAdapter() = default;

const fuse_lowlevel_ops& FuseAdapter::Operations() {
  static const fuse_lowlevel_ops ops = MakeOperations();
  return ops;
}

std::shared_ptr<Node> FuseAdapter::Get(uint64_t ino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) throw Error(ErrorKind::kNotFound, "unknown inode " + std::to_string(ino));
  return it->second.node;
}

std::shared_ptr<Node> FuseAdapter::Remember(std::shared_ptr<Node> node) {
  std::lock_guard lock(mu_);
  Known& known = nodes_[node->ino()];
  if (!known.node) {
    known.node = std::move(node);
  } else if (known.node->path() != node->path()) {
    throw Error(ErrorKind::kCorrupt, "inode collision between " + known.node->path() + " and " + node->path());
  }
  ++known.lookups;
  return known.node;
}

void FuseAdapter::Forget(uint64_t ino, uint64_t count) {
  if (ino == kRootIno) return;
  std::shared_ptr<Node> dropped;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  if (it->second.lookups <= count) {
    dropped = std::move(it->second.node);
    nodes_.erase(it);
  } else {
    it->second.lookups -= count;
  }
}

std::shared_ptr<FileReader> FuseAdapter::ReaderOf(uint64_t ino) {
  return readers_.Get(ino, [&] { return Get(ino)->Open(); });
}

void FuseAdapter::PushReadNext(uint64_t ino) {
  constexpr int kMaxPushes = 2;
  fuse_session* session = session_.load();
  if (session == nullptr) return;
  struct Slot {
    std::atomic<int>& pushes;
    ~Slot() { pushes.fetch_sub(1); }
  } slot{pushes_};
  if (pushes_.fetch_add(1) >= kMaxPushes) return;
  std::vector<NextFile> next;
  try {
    next = Get(ino)->ReadNext();
  } catch (const std::exception&) {
    return;  // reading those files reports what went wrong
  }
  for (const NextFile& file : next) {
    std::shared_ptr<Node> node;
    {
      std::lock_guard lock(mu_);
      auto it = nodes_.find(file.ino);
      if (it == nodes_.end() || it->second.node->path() != file.path) continue;
      node = it->second.node;
    }
    try {
      std::optional<std::vector<SharedBytes>> pieces = node->OpenToPush()->ReadShared(0, file.size);
      if (!pieces) continue;
      // One piece goes out as it is; libfuse would join several anyway.
      thread_local Bytes joined;
      ByteView content;
      if (pieces->size() == 1 && pieces->front().owner) {
        content = pieces->front().bytes;
      } else {
        joined.clear();
        for (const SharedBytes& piece : *pieces) {
          ForEachBuffer(piece, 0, piece.bytes.size(),
                        [&](ByteView bytes) { joined.insert(joined.end(), bytes.begin(), bytes.end()); });
        }
        content = joined;
      }
      if (content.size() != file.size) continue;
      fuse_bufvec buffer = FUSE_BUFVEC_INIT(content.size());
      buffer.buf[0].mem = const_cast<uint8_t*>(content.data());
      // Fails when the kernel has forgotten the inode meanwhile.
      if (fuse_lowlevel_notify_store(session, file.ino, 0, &buffer, static_cast<fuse_buf_copy_flags>(0)) == 0) {
        pushed_files_.fetch_add(1);
        pushed_bytes_.fetch_add(content.size());
      }
    } catch (const std::exception&) {
      // A damaged file: its own read reports it.
    }
  }
}

void FuseAdapter::set_session(fuse_session* session) {
  listing_expiry_.reset();
  session_ = session;
  if (session != nullptr) listing_expiry_ = std::make_unique<ListingExpiry>(session);
}

FuseAdapter::Listing FuseAdapter::MakeListing(uint64_t ino) {
  std::shared_ptr<Node> node = Get(ino);
  Listing listing;
  listing.entries = {{".", ino, NodeType::kDirectory}, {"..", ino, NodeType::kDirectory}};
  for (DirEntry& entry : node->List()) listing.entries.push_back(std::move(entry));
  // The kernel keeps what a readdir without a handle returns.
  if (zero_message_opendir() && !node->immutable() && listing_expiry_) listing_expiry_->Listed(ino);
  return listing;
}

uint64_t FuseAdapter::AddListing(Listing listing) {
  auto shared = std::make_shared<const Listing>(std::move(listing));
  std::lock_guard lock(mu_);
  uint64_t fh = next_handle_++;
  listings_[fh] = std::move(shared);
  return fh;
}

void FuseAdapter::ReleaseListing(uint64_t fh) {
  std::shared_ptr<const Listing> listing;  // let go of outside the lock
  std::lock_guard lock(mu_);
  auto it = listings_.find(fh);
  if (it == listings_.end()) return;
  listing = std::move(it->second);
  listings_.erase(it);
}

std::shared_ptr<const FuseAdapter::Listing> FuseAdapter::ListingFor(uint64_t ino, uint64_t fh, uint64_t offset) {
  if (fh != 0) {
    std::lock_guard lock(mu_);
    auto it = listings_.find(fh);
    if (it == listings_.end()) throw Error(ErrorKind::kInvalidInput, "readdir on a directory that is not open");
    return it->second;
  }
  // A listing continues where its first readdir started, so that entries neither repeat
  // nor go missing when the directory changes in between; a readdir from the start (a new
  // listing) asks again.
  if (offset != 0) {
    std::lock_guard lock(mu_);
    if (std::shared_ptr<const Listing> kept = recent_listings_.Find(ino)) return kept;
  }
  auto made = std::make_shared<const Listing>(MakeListing(ino));
  std::lock_guard lock(mu_);
  recent_listings_.Erase(ino);
  return recent_listings_.Insert(ino, std::move(made));
}

}  // namespace cairn::fs
