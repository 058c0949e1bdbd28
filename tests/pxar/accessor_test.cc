#include "core/pxar/accessor.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <random>

#include "core/pxar/encoder.h"
#include "core/util/error.h"
#include "tests/pxar/memory_source.h"
#include "tests/pxar/spec_vectors.h"
#include "tests/test_support.h"

namespace cairn::pxar {
namespace {

Metadata Meta(uint64_t mode, int64_t mtime = 1700000000, uint32_t nanos = 123456789) {
  Metadata m;
  m.stat.mode = mode;
  m.stat.uid = 1000;
  m.stat.gid = 100;
  m.stat.mtime_secs = mtime;
  m.stat.mtime_nanos = nanos;
  return m;
}

Bytes Pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// A tree with every entry kind and all metadata:
//   /            (default ACL)
//   a.txt        "hello" + xattrs, access ACL, fcaps, projid
//   big          100,000 random bytes
//   dev/null     char 1:3, dev/sda block 8:0
//   dir/sub/deep empty file
//   fifo, sock
//   hard         hardlink to a.txt
//   link         symlink -> a.txt
//   many/        300 empty files f000..f299
Bytes RichArchive() {
  Bytes out;
  Metadata root = Meta(S_IFDIR | 0755);
  root.acl.default_ = AclDefault{6, 4, 4, kAclNoMask};
  root.acl.default_users = {{1001, 4}};
  Encoder enc([&](ByteView b) { out.insert(out.end(), b.begin(), b.end()); }, root);
  Metadata a = Meta(S_IFREG | 0640, -305112601, 999000000);
  a.xattrs = {{"user.comment", "hi"}, {"user.bin", std::string("\0x\0", 3)}};
  a.acl.users = {{1001, 6}};
  a.acl.groups = {{2000, 4}};
  a.acl.group_obj = 4;
  a.fcaps = std::string("\1\0\0\2", 4);
  a.quota_projid = 42;
  uint64_t a_offset = enc.BeginFile("a.txt", a, 5);
  enc.WriteFileData(AsBytes("hello"));
  enc.EndFile();
  Bytes big = Pattern(100000, 1);
  enc.BeginFile("big", Meta(S_IFREG | 0600), big.size());
  enc.WriteFileData(ByteView(big).first(1000));
  enc.WriteFileData(ByteView(big).subspan(1000));
  enc.EndFile();
  enc.BeginDirectory("dev", Meta(S_IFDIR | 0755));
  enc.AddDevice("null", Meta(S_IFCHR | 0666), 1, 3);
  enc.AddDevice("sda", Meta(S_IFBLK | 0660), 8, 0);
  enc.EndDirectory();
  enc.BeginDirectory("dir", Meta(S_IFDIR | 0700));
  enc.BeginDirectory("sub", Meta(S_IFDIR | 0700));
  enc.BeginFile("deep", Meta(S_IFREG | 0644), 0);
  enc.EndFile();
  enc.EndDirectory();
  enc.EndDirectory();
  enc.AddSpecial("fifo", Meta(S_IFIFO | 0644));
  enc.AddHardlink("hard", "a.txt", a_offset);
  enc.AddSymlink("link", Meta(S_IFLNK | 0777), "a.txt");
  enc.BeginDirectory("many", Meta(S_IFDIR | 0755));
  for (int i = 0; i < 300; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%03d", i);
    enc.BeginFile(name, Meta(S_IFREG | 0644), 0);
    enc.EndFile();
  }
  enc.EndDirectory();
  enc.AddSpecial("sock", Meta(S_IFSOCK | 0755));
  enc.Finish();
  return out;
}

TEST(PxarAccessor, RoundTripsEveryEntryKind) {
  test::MemorySource source(RichArchive());
  Accessor acc(source, nullptr, "test.pxar");
  Entry root = acc.Root();
  EXPECT_EQ(root.kind, EntryKind::kDirectory);
  EXPECT_EQ(root.meta.acl.default_users, (std::vector<AclEntry>{{1001, 4}}));
  ASSERT_TRUE(root.meta.acl.default_);
  EXPECT_EQ(root.meta.acl.default_->user_obj, 6u);
  std::vector<std::string> names;
  for (const Entry& e : acc.List(root)) names.push_back(e.name);
  // Archive order, which is name order (not the goodbye table's hash order).
  EXPECT_EQ(names, (std::vector<std::string>{"a.txt", "big", "dev", "dir", "fifo", "hard", "link", "many", "sock"}));

  std::optional<Entry> a = acc.LookupPath("a.txt");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, EntryKind::kFile);
  EXPECT_EQ(a->meta.stat.mtime_secs, -305112601);
  EXPECT_EQ(a->meta.stat.mtime_nanos, 999000000u);
  EXPECT_EQ(a->meta.stat.mode, uint64_t{S_IFREG | 0640});
  EXPECT_EQ(a->meta.xattrs, (std::vector<Xattr>{{"user.comment", "hi"}, {"user.bin", std::string("\0x\0", 3)}}));
  EXPECT_EQ(a->meta.acl.users, (std::vector<AclEntry>{{1001, 6}}));
  EXPECT_EQ(a->meta.acl.groups, (std::vector<AclEntry>{{2000, 4}}));
  EXPECT_EQ(a->meta.acl.group_obj, std::optional<uint64_t>(4));
  EXPECT_EQ(a->meta.fcaps, std::optional<std::string>(std::string("\1\0\0\2", 4)));
  EXPECT_EQ(a->meta.quota_projid, std::optional<uint64_t>(42));
  uint8_t buf[16];
  EXPECT_EQ(acc.ReadFile(*a, 0, buf), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 5), "hello");
  EXPECT_EQ(acc.ReadFile(*a, 5, buf), 0u);

  std::optional<Entry> hard = acc.LookupPath("/hard");
  ASSERT_TRUE(hard);
  EXPECT_EQ(hard->kind, EntryKind::kFile);
  EXPECT_EQ(hard->entry_start, a->entry_start);
  EXPECT_EQ(hard->hardlink_path, "a.txt");
  EXPECT_EQ(hard->meta, a->meta);

  std::optional<Entry> big = acc.LookupPath("big");
  ASSERT_TRUE(big);
  Bytes content(big->file_size);
  EXPECT_EQ(acc.ReadFile(*big, 0, content), 100000u);
  EXPECT_EQ(content, Pattern(100000, 1));
  // The same bytes as shared pieces, clipped at the end of the file.
  Bytes shared;
  for (const SharedBytes& piece : acc.ReadFileShared(*big, 99000, 5000)) {
    shared.insert(shared.end(), piece.bytes.begin(), piece.bytes.end());
  }
  EXPECT_EQ(shared, Bytes(content.begin() + 99000, content.end()));
  EXPECT_TRUE(acc.ReadFileShared(*big, 100000, 10).empty());

  std::optional<Entry> null = acc.LookupPath("dev/null");
  ASSERT_TRUE(null);
  EXPECT_EQ(null->kind, EntryKind::kDevice);
  EXPECT_EQ(null->dev_major, 1u);
  EXPECT_EQ(null->dev_minor, 3u);
  EXPECT_EQ(acc.LookupPath("dev/sda")->dev_major, 8u);
  EXPECT_EQ(acc.LookupPath("fifo")->kind, EntryKind::kFifo);
  EXPECT_EQ(acc.LookupPath("sock")->kind, EntryKind::kSocket);
  EXPECT_EQ(acc.LookupPath("link")->link_target, "a.txt");
  EXPECT_EQ(acc.LookupPath("dir/sub/deep")->file_size, 0u);
  EXPECT_FALSE(acc.LookupPath("dir/nope"));
  EXPECT_FALSE(acc.LookupPath("a.txt/x"));
  std::vector<Entry> many = acc.List(*acc.LookupPath("many"));
  ASSERT_EQ(many.size(), 300u);
  EXPECT_TRUE(std::is_sorted(many.begin(), many.end(),
                             [](const Entry& x, const Entry& y) { return x.entry_start < y.entry_start; }));
  for (int i = 0; i < 300; i += 37) {
    char name[24];
    std::snprintf(name, sizeof name, "many/f%03d", i);
    ASSERT_TRUE(acc.LookupPath(name)) << name;
  }
}

// Decodes everything reachable, as a browser or restore would.
void Walk(const Accessor& acc, const Entry& dir, int depth) {
  if (depth > 64) return;
  for (const Entry& e : acc.List(dir)) {
    acc.Lookup(dir, e.name);
    if (e.kind == EntryKind::kDirectory) Walk(acc, e, depth + 1);
    if (e.kind == EntryKind::kFile) {
      Bytes buf(std::min<uint64_t>(e.file_size, 1 << 20));
      acc.ReadFile(e, 0, buf);
      acc.ReadFileShared(e, 0, buf.size());
    }
  }
}

// Every truncation and many byte corruptions give kCorrupt or a consistent tree; never a crash.
// Counts the reads that reach into bytes [from, end) of the archive.
class WatchedSource : public test::MemorySource {
 public:
  WatchedSource(Bytes data, uint64_t from) : MemorySource(std::move(data)), from_(from) {}
  size_t Read(uint64_t offset, std::span<uint8_t> out) override {
    if (offset + out.size() > from_) ++reads;
    return MemorySource::Read(offset, out);
  }
  int reads = 0;

 private:
  const uint64_t from_;
};

// A directory's goodbye table lies at its end, chunks away from most children: once read,
// looking up children (or their absence) reads only the children.
TEST(PxarAccessor, LookupsKeepTheGoodbyeTable) {
  Bytes archive = RichArchive();
  const uint64_t table = archive.size() - 10 * kGoodbyeItemSize - kHeaderSize;  // the root's 9 children
  WatchedSource source(std::move(archive), table);
  Accessor acc(source, nullptr, "test.pxar");
  Entry root = acc.Root();
  ASSERT_GT(source.reads, 0);
  source.reads = 0;
  // a.txt and big lie more than a read window (64 KiB) before the table: `big` is 100,000 bytes.
  ASSERT_TRUE(acc.Lookup(root, "a.txt"));
  ASSERT_TRUE(acc.Lookup(root, "big"));
  EXPECT_FALSE(acc.Lookup(root, "nothing"));
  EXPECT_EQ(source.reads, 0);
  EXPECT_EQ(acc.Lookup(root, "big")->file_size, 100000u);
}

TEST(PxarAccessor, HostileBytesNeverCrash) {
  const Bytes good = RichArchive();
  auto attempt = [](Bytes data) {
    try {
      test::MemorySource source(std::move(data));
      Accessor acc(source, nullptr, "hostile.pxar");
      Walk(acc, acc.Root(), 0);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
      EXPECT_NE(std::string(e.what()).find("hostile.pxar: pxar offset "), std::string::npos) << e.what();
    }
  };
  for (size_t n = 0; n < good.size(); n += 1 + n / 50) attempt(Bytes(good.begin(), good.begin() + static_cast<ptrdiff_t>(n)));
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    Bytes bad = good;
    size_t at = rng() % bad.size();
    int width = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < width && at + static_cast<size_t>(k) < bad.size(); ++k) bad[at + static_cast<size_t>(k)] = static_cast<uint8_t>(rng());
    attempt(std::move(bad));
  }
  attempt(Bytes(200, 0xff));
  attempt(Pattern(5000, 3));
}

TEST(PxarAccessor, ErrorsNameArchiveAndOffset) {
  Bytes data = RichArchive();
  data[data.size() - 24] ^= 1;  // tail marker
  test::MemorySource source(data);
  try {
    Accessor acc(source, nullptr, "ds/host/x/2024-01-01T00:00:00Z/root.pxar.didx");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(std::string(e.what()), "ds/host/x/2024-01-01T00:00:00Z/root.pxar.didx: pxar offset " +
                                          std::to_string(data.size() - 24) + ": missing goodbye tail marker");
  }
}

// The spec's v2 worked example (§4): root with file a ("hi") and hardlink b -> a, split into
// .mpxar (with a PRELUDE) and .ppxar.
TEST(PxarAccessor, ReadsTheSpecsSplitArchive) {
  test::MemorySource meta(test::Hex(test::kSplitExampleMeta));
  test::MemorySource payload(test::Hex(test::kSplitExamplePayload));
  Accessor acc(meta, &payload, "split.mpxar");
  EXPECT_EQ(acc.Root().meta.stat.mode, uint64_t{S_IFDIR | 0755});
  std::optional<Entry> a = acc.LookupPath("a");
  std::optional<Entry> b = acc.LookupPath("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->hardlink_path, "a");
  EXPECT_EQ(b->entry_start, a->entry_start);
  uint8_t buf[4];
  ASSERT_EQ(acc.ReadFile(*b, 0, buf), 2u);
  EXPECT_EQ(buf[0], 'h');
  EXPECT_EQ(buf[1], 'i');
  EXPECT_THROW(Accessor(meta, nullptr, "split.mpxar"), Error);
}

}  // namespace
}  // namespace cairn::pxar
