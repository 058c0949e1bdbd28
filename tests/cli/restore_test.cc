// `cairn restore` end to end: a rich tree restored with all metadata, subtrees and
// patterns, and hand-crafted hostile archives that must not reach outside the target.
#include <sys/stat.h>

#include "core/format/chunker.h"
#include "core/pxar/encoder.h"
#include "core/write/chunked_stream_writer.h"
#include "tests/cli/cli_fixture.h"
#include "tests/pxar/metadata.h"
#include "tests/pxar/rich_tree.h"

namespace cairn::test {
namespace {

namespace fsys = std::filesystem;

constexpr char kTime[] = "2024-05-01T10:00:00Z";
constexpr char kSnapshot[] = "host/files/2024-05-01T10:00:00Z";

// `err` of a restore ends with the last progress line and the summary:
//   restore: 300.2 KiB of 1.1 MiB (26%), 73 files, 12.0 MiB/s done
//   restored 73 entries, 300.2 KiB
void ExpectFinalProgressLine(const std::string& err) {
  size_t summary = err.rfind("restored ");
  ASSERT_NE(summary, std::string::npos) << err;
  size_t count_end = err.find(" entries, ", summary);
  ASSERT_NE(count_end, std::string::npos) << err;
  const std::string entries = err.substr(summary + 9, count_end - summary - 9);
  const std::string bytes = err.substr(count_end + 10, err.find('\n', count_end) - count_end - 10);
  size_t line = err.rfind("restore: ", summary);
  ASSERT_NE(line, std::string::npos) << err;
  const std::string progress = err.substr(line, summary - line);
  EXPECT_TRUE(progress.starts_with("restore: " + bytes + " of ")) << progress;
  EXPECT_NE(progress.find("%), " + entries + " files, "), std::string::npos) << progress;
  EXPECT_NE(progress.find("/s done\n"), std::string::npos) << progress;
  EXPECT_EQ(progress.find("ETA"), std::string::npos) << progress;  // finished: no estimate
}

class RestoreTest : public CliFixture {
 protected:
  void BackUpRichTree() {
    src_ = tmp_ / "src";
    fsys::create_directory(src_);
    MakeRichTree(src_, 2000);
    Cairn({"backup", "dir", store_, "--id", "files", "--backup-time", kTime, "root.pxar=" + src_.string()});
  }

  // Stores `archive` as root.pxar.didx of host/files/kTime, written in-process.
  void StoreArchive(ByteView archive) {
    DatastoreOptions options{tmp_ / "datastore.cfg", tmp_ / "run"};
    Datastore ds = Datastore::Open(store_, options);
    SnapshotWriter writer(ds, Snapshot{BackupGroup{BackupNamespace{}, BackupType::kHost, "files"}, 1714557600}, nullptr);
    ChunkedStreamWriter stream(writer, Chunker::kDefaultAverage);
    stream.Write(archive);
    stream.Finish("root.pxar.didx");
    writer.Finish();
  }

  fsys::path src_;
};

TEST_F(RestoreTest, RichTreeWithAllMetadata) {
  BackUpRichTree();
  const fsys::path target = tmp_ / "restored";
  CommandResult r = Cairn({"restore", store_, kSnapshot, "root.pxar", target.string()});
  EXPECT_EQ(r.err.find("skipped"), std::string::npos) << r.err;
  EXPECT_EQ(DescribeTree(target), DescribeTree(src_));
  struct stat a, b;
  ASSERT_EQ(::stat((target / "etc/hosts").c_str(), &a), 0);
  ASSERT_EQ(::stat((target / "etc/sub/hosts-again").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);

  // Again into the same target: existing files are skipped unless --overwrite.
  CommandResult again = Cairn({"restore", store_, kSnapshot, "root.pxar", target.string()}, 9);
  EXPECT_NE(again.err.find("etc/hosts: already exists (use --overwrite to replace it)"), std::string::npos) << again.err;
  Cairn({"restore", store_, kSnapshot, "root.pxar", target.string(), "--overwrite"});
  EXPECT_EQ(DescribeTree(target), DescribeTree(src_));
}

TEST_F(RestoreTest, SplitArchiveRoundTrip) {
  src_ = tmp_ / "src";
  fsys::create_directory(src_);
  MakeRichTree(src_, 100);
  Cairn({"backup", "dir", store_, "--id", "files", "--backup-time", kTime, "--split", "root.pxar=" + src_.string()});
  std::string files = Cairn({"ls", store_, kSnapshot}).out;
  EXPECT_NE(files.find("root.mpxar.didx"), std::string::npos) << files;
  EXPECT_NE(files.find("root.ppxar.didx"), std::string::npos) << files;
  EXPECT_EQ(files.find("catalog.pcat1"), std::string::npos) << files;
  const fsys::path target = tmp_ / "restored";
  CommandResult r = Cairn({"restore", store_, kSnapshot, "root.pxar", target.string()});
  EXPECT_EQ(DescribeTree(target), DescribeTree(src_));
  ExpectFinalProgressLine(r.err);
  EXPECT_EQ(Cairn({"--quiet", "restore", store_, kSnapshot, "root.pxar", (tmp_ / "quiet").string()}).err, "");
}

// Without a terminal the progress is a plain line; the last one, at the end, shows the bytes
// and files the summary reports, and the rate.
TEST_F(RestoreTest, ProgressShowsBytesFilesAndRate) {
  src_ = tmp_ / "src";
  fsys::create_directory(src_);
  MakeRichTree(src_, 10);
  Cairn({"backup", "dir", store_, "--id", "files", "--backup-time", kTime, "root.pxar=" + src_.string()});
  CommandResult r = Cairn({"restore", store_, kSnapshot, "root.pxar", (tmp_ / "restored").string()});
  ExpectFinalProgressLine(r.err);
}

// A sparse 3 GiB file streams through backup and restore (nothing holds it whole) and comes
// back sparse with the same bytes at both ends.
TEST_F(RestoreTest, SparseMultiGiBFile) {
  src_ = tmp_ / "src";
  fsys::create_directory(src_);
  const uint64_t size = 3ull << 30;
  {
    std::FILE* f = std::fopen((src_ / "sparse").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("head", f);
    std::fseek(f, static_cast<long>(size - 4), SEEK_SET);
    std::fputs("tail", f);
    std::fclose(f);
  }
  Cairn({"backup", "dir", store_, "--id", "files", "--backup-time", kTime, "root.pxar=" + src_.string()});
  const fsys::path target = tmp_ / "restored";
  Cairn({"restore", store_, kSnapshot, "root.pxar", target.string()});
  struct stat st;
  ASSERT_EQ(::stat((target / "sparse").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), size);
  EXPECT_LT(st.st_blocks * 512, 64 << 20);  // holes stay holes
  std::FILE* f = std::fopen((target / "sparse").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  char head[5] = {}, tail[5] = {};
  ASSERT_EQ(std::fread(head, 1, 4, f), 4u);
  std::fseek(f, static_cast<long>(size - 4), SEEK_SET);
  ASSERT_EQ(std::fread(tail, 1, 4, f), 4u);
  std::fclose(f);
  EXPECT_STREQ(head, "head");
  EXPECT_STREQ(tail, "tail");
}

TEST_F(RestoreTest, SubtreePatternsAndNoOwner) {
  BackUpRichTree();
  const fsys::path target = tmp_ / "etc";
  Cairn({"restore", store_, kSnapshot, "root.pxar/etc", target.string(), "--exclude", "sub/", "--no-owner"});
  EXPECT_TRUE(fsys::is_regular_file(target / "hosts"));
  EXPECT_FALSE(fsys::exists(target / "sub"));
  const fsys::path only = tmp_ / "only";
  Cairn({"restore", store_, kSnapshot, "root.pxar", only.string(), "--include", "*.bin", "--include", "/deep/"});
  EXPECT_TRUE(fsys::is_regular_file(only / "random.bin"));
  EXPECT_TRUE(fsys::is_directory(only / "deep/d0/d1"));
  EXPECT_FALSE(fsys::exists(only / "etc"));
  EXPECT_FALSE(fsys::exists(only / "empty"));
  // A hardlink whose first name is not restored gets the contents.
  const fsys::path sub = tmp_ / "sub";
  Cairn({"restore", store_, kSnapshot, "root.pxar/etc/sub", sub.string()});
  EXPECT_EQ(ReadFileBytes(sub / "hosts-again"), ReadFileBytes(src_ / "etc/hosts"));
  Cairn({"restore", store_, kSnapshot, "root.pxar/nope", (tmp_ / "x").string()}, 3);
}

// `**` crosses directory levels in backup --exclude and in restore --include/--exclude.
TEST_F(RestoreTest, DoubleStarPatternsCrossDirectoryLevels) {
  src_ = tmp_ / "src";
  fsys::create_directory(src_);
  MakeRichTree(src_, 10);
  WriteFileBytes(src_ / "deep/d0/d1/skip.bin", AsBytes("skipped\n"));
  Cairn({"backup", "dir", store_, "--id", "files", "--backup-time", kTime, "--exclude", "deep/**/*.bin",
         "root.pxar=" + src_.string()});
  const fsys::path all = tmp_ / "all";
  Cairn({"restore", store_, kSnapshot, "root.pxar", all.string()});
  EXPECT_TRUE(fsys::is_directory(all / "deep/d0/d1"));
  EXPECT_FALSE(fsys::exists(all / "deep/d0/d1/skip.bin"));
  EXPECT_TRUE(fsys::exists(all / "random.bin"));  // not below deep/

  const fsys::path some = tmp_ / "some";
  Cairn({"restore", store_, kSnapshot, "root.pxar", some.string(), "--include", "deep/**/bottom", "--include",
         "**/hosts*", "--exclude", "etc/**/hosts-again"});
  fsys::path bottom = some / "deep";
  for (int i = 0; i < 40; ++i) bottom /= "d" + std::to_string(i);
  EXPECT_EQ(AsChars(ReadFileBytes(bottom / "bottom")), "bottom\n");
  EXPECT_EQ(ReadFileBytes(some / "etc/hosts"), ReadFileBytes(src_ / "etc/hosts"));
  EXPECT_FALSE(fsys::exists(some / "etc/sub"));
  EXPECT_FALSE(fsys::exists(some / "random.bin"));
  EXPECT_FALSE(fsys::exists(some / "empty"));
}

// An archive whose names were patched after encoding (same lengths, so every offset stays
// valid): "dd" -> "..", "q" -> ".", "a_b" -> "a/b"; plus symlinks and a hardlink that point
// outside the target.
Bytes HostileArchive() {
  Bytes out;
  const pxar::Metadata dir = Meta(S_IFDIR | 0755);
  pxar::Encoder enc([&](ByteView b) { out.insert(out.end(), b.begin(), b.end()); }, dir);
  const pxar::Metadata file = Meta(S_IFREG | 0644);
  const pxar::Metadata link = Meta(S_IFLNK | 0777);
  uint64_t good = enc.BeginFile("good", file, 2);
  enc.WriteFileData(AsBytes("ok"));
  enc.EndFile();
  enc.BeginDirectory("dd", dir);
  enc.BeginFile("evil", file, 4);
  enc.WriteFileData(AsBytes("evil"));
  enc.EndFile();
  enc.EndDirectory();
  enc.BeginFile("q", file, 1);
  enc.WriteFileData(AsBytes("x"));
  enc.EndFile();
  enc.BeginFile("a_b", file, 1);
  enc.WriteFileData(AsBytes("x"));
  enc.EndFile();
  enc.AddSymlink("abs", link, "/etc/passwd");
  enc.AddSymlink("up", link, "../../outside");
  enc.AddSymlink("inside", link, "sub/../good");
  enc.AddHardlink("hard", "../outside", good);
  enc.Finish();
  auto patch = [&](std::string_view from, std::string_view to) {
    Bytes needle = {0};
    needle.insert(needle.end(), from.begin(), from.end());
    needle.push_back(0);
    auto it = std::search(out.begin(), out.end(), needle.begin(), needle.end());
    EXPECT_NE(it, out.end()) << from;
    if (it != out.end()) std::copy(to.begin(), to.end(), it + 1);
  };
  patch("dd", "..");
  patch("q", ".");
  patch("a_b", "a/b");
  return out;
}

TEST_F(RestoreTest, HostileArchiveIsRefusedAndTheRestGoesOn) {
  StoreArchive(HostileArchive());
  const fsys::path target = tmp_ / "t" / "restored";
  CommandResult r = Cairn({"restore", store_, kSnapshot, "root.pxar", target.string()}, 9);
  EXPECT_EQ(ReadFileBytes(target / "good"), Bytes({'o', 'k'}));
  EXPECT_EQ(fsys::read_symlink(target / "inside"), "sub/../good");
  EXPECT_NE(r.err.find("abs: refused: symlink points outside the target (/etc/passwd)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("up: refused: symlink points outside the target (../../outside)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hard: refused: hardlink to a path outside the archive (../outside)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid file name 'a/b'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid file name '..'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid file name '.'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("6 entries skipped"), std::string::npos) << r.err;
  EXPECT_FALSE(fsys::exists(tmp_ / "t" / "evil"));
  EXPECT_FALSE(fsys::exists(tmp_ / "outside"));
  std::vector<std::string> names;
  for (const auto& e : fsys::directory_iterator(target)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"good", "inside"}));
}

}  // namespace
}  // namespace cairn::test
