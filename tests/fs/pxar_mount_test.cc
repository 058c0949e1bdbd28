// File archives through the kernel: a rich tree backed up with `cairn backup dir`, mounted,
// and compared with the source with diff, stat, getfattr and getfacl.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "tests/fs/mount_fixture.h"
#include "tests/pxar/rich_tree.h"

namespace cairn::test {
namespace {

namespace fsys = std::filesystem;

constexpr char kTime[] = "2024-05-01T10:00:00Z";

// The per-file blocks (separated by blank lines) of a recursive getfattr/getfacl run on
// `root`, with the root path taken out and sorted, so that trees listed in different
// directory orders compare.
std::vector<std::string> ToolOutput(const std::vector<std::string>& argv, const fsys::path& root) {
  CommandResult r = RunProgram(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  const std::string prefix = root.string();
  for (size_t at; (at = out.find(prefix)) != std::string::npos;) out.erase(at, prefix.size());
  std::vector<std::string> blocks;
  for (size_t at = 0; at < out.size();) {
    size_t end = out.find("\n\n", at);
    if (end == std::string::npos) end = out.size();
    blocks.push_back(out.substr(at, end - at));
    at = end + 2;
  }
  std::sort(blocks.begin(), blocks.end());
  return blocks;
}

// diff -r reports special files it does not compare; everything else must be equal.
void ExpectNoDifferences(const fsys::path& a, const fsys::path& b) {
  CommandResult r = RunProgram({"diff", "-r", "--no-dereference", a.string(), b.string()});
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    bool special = false;
    for (std::string kind : {"fifo", "socket", "character special file", "block special file"}) {
      special |= line.find(" is a " + kind + " while file ") != std::string::npos && line.ends_with(" is a " + kind);
    }
    EXPECT_TRUE(special) << line;
  }
  EXPECT_LE(r.exit_code, 1) << r.err;
}

class PxarMountTest : public MountFixture {
 protected:
  void SetUp() override {
    MountFixture::SetUp();
    src_ = tmp_ / "src";
    fsys::create_directory(src_);
    MakeRichTree(src_);
    Cairn({"backup", "dir", store_, "--id", "files", "--backup-time", kTime, "root.pxar=" + src_.string()});
  }
  fsys::path src_;
};

TEST_F(PxarMountTest, TreeMatchesTheSourceWithAllMetadata) {
  Mount();
  const fsys::path root = mnt_ / "host" / "files" / kTime / "root.pxar";
  ASSERT_TRUE(fsys::is_directory(root)) << MountLog();
  ExpectNoDifferences(src_, root);
  EXPECT_EQ(DescribeTree(root), DescribeTree(src_));
  EXPECT_EQ(ToolOutput({"getfattr", "-R", "-h", "-d", "-m", "-", "--absolute-names", root.string()}, root),
            ToolOutput({"getfattr", "-R", "-h", "-d", "-m", "-", "--absolute-names", src_.string()}, src_));
  EXPECT_EQ(ToolOutput({"getfacl", "-R", "-p", root.string()}, root),
            ToolOutput({"getfacl", "-R", "-p", src_.string()}, src_));

  struct stat a, b, root_stat, src_stat;
  ASSERT_EQ(::stat((root / "etc/hosts").c_str(), &a), 0);
  ASSERT_EQ(::stat((root / "etc/sub/hosts-again").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // hardlinks share the inode
  EXPECT_EQ(a.st_nlink, 2u);
  EXPECT_EQ(b.st_nlink, 2u);
  ASSERT_EQ(::stat(root.c_str(), &root_stat), 0);
  ASSERT_EQ(::stat(src_.c_str(), &src_stat), 0);
  EXPECT_EQ(root_stat.st_mode, src_stat.st_mode);
  EXPECT_EQ(root_stat.st_mtim.tv_nsec, src_stat.st_mtim.tv_nsec);
  EXPECT_EQ(fsys::read_symlink(root / "dangling"), "missing/target");
  Unmount();
}

// A split (v2) archive shows as one root.pxar directory with the same tree.
TEST_F(PxarMountTest, SplitArchiveMatchesTheSource) {
  const fsys::path small = tmp_ / "small";
  fsys::create_directory(small);
  MakeRichTree(small, 50);
  Cairn({"backup", "dir", store_, "--id", "split", "--backup-time", kTime, "--split", "root.pxar=" + small.string()});
  Mount();
  const fsys::path root = mnt_ / "host" / "split" / kTime / "root.pxar";
  ASSERT_TRUE(fsys::is_directory(root)) << MountLog();
  ExpectNoDifferences(small, root);
  EXPECT_EQ(DescribeTree(root), DescribeTree(small));
  Unmount();
}

// readdir of `dir`: "name type" per entry in the order the mount returns them. With
// `check_inodes`, each entry's d_ino must be what lstat reports for it.
std::vector<std::string> ReadDir(const fsys::path& dir, bool check_inodes) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << dir;
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    out.push_back(name + " " + std::to_string(e->d_type));
    if (check_inodes) {
      struct stat st;
      EXPECT_EQ(::lstat((dir / name).c_str(), &st), 0) << dir / name;
      EXPECT_EQ(st.st_ino, e->d_ino) << dir / name;
    }
  }
  ::closedir(d);
  return out;
}

// A unified archive's listings come from the catalog, a split archive's (no catalog) from the
// goodbye tables: the same tree gives the same names, types and order (goodbye-table order
// depends only on the names), and the catalog's inode numbers are the entries' own.
TEST_F(PxarMountTest, CatalogListingsEqualArchiveListings) {
  const fsys::path small = tmp_ / "small";
  fsys::create_directory(small);
  MakeRichTree(small, 300);
  Cairn({"backup", "dir", store_, "--id", "unified", "--backup-time", kTime, "root.pxar=" + small.string()});
  Cairn({"backup", "dir", store_, "--id", "split", "--backup-time", kTime, "--split", "root.pxar=" + small.string()});
  Mount();
  const fsys::path unified = mnt_ / "host" / "unified" / kTime / "root.pxar";
  const fsys::path split = mnt_ / "host" / "split" / kTime / "root.pxar";
  std::vector<fsys::path> dirs = {""};
  for (auto it = fsys::recursive_directory_iterator(small); it != fsys::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && !it->is_symlink()) dirs.push_back(fsys::relative(it->path(), small));
  }
  ASSERT_GT(dirs.size(), 40u);
  for (const fsys::path& dir : dirs) {
    std::vector<std::string> from_catalog = ReadDir(unified / dir, true);
    EXPECT_EQ(from_catalog, ReadDir(split / dir, false)) << dir;
    EXPECT_EQ(from_catalog.size(), static_cast<size_t>(std::distance(fsys::directory_iterator(small / dir),
                                                                      fsys::directory_iterator())))
        << dir;
  }
  Unmount();
}

// With read-ahead of one chunk, a listing's entries far ahead of the walk in the archive
// (here behind 10 MiB files, in later chunks) go out of readdirplus without their
// attributes, and the kernel looks them up when needed: names, inode numbers, types and
// every attribute still match the source, at every level.
TEST_F(PxarMountTest, EntriesFarAheadOfTheWalkMatchTheSource) {
  const fsys::path far = tmp_ / "far";
  std::mt19937 rng(3);
  for (std::string name : {"a", "b", "c", "d"}) {
    fsys::create_directories(far / name / "inner");
    WriteFileBytes(far / name / "inner" / "file", AsBytes("in " + name + "\n"));
    Bytes big(10 << 20);
    for (auto& b : big) b = static_cast<uint8_t>(rng());
    WriteFileBytes(far / (name + ".bin"), big);
  }
  Cairn({"backup", "dir", store_, "--id", "far", "--backup-time", kTime, "root.pxar=" + far.string()});
  Mount({"--readahead", "1"});
  const fsys::path root = mnt_ / "host" / "far" / kTime / "root.pxar";
  ASSERT_TRUE(fsys::is_directory(root)) << MountLog();
  EXPECT_EQ(ReadDir(root, true), (std::vector<std::string>{"a 4", "a.bin 8", "b 4", "b.bin 8", "c 4", "c.bin 8",
                                                           "d 4", "d.bin 8"}));
  EXPECT_EQ(DescribeTree(root), DescribeTree(far));
  ExpectNoDifferences(far, root);
  Unmount();
}

// How many of the pages of the file at `path` the kernel's page cache holds (mincore on a
// mapping, which reads nothing), and how many it has.
std::pair<size_t, size_t> ResidentPages(const fsys::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << path;
  struct stat st;
  EXPECT_EQ(::fstat(fd, &st), 0);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t pages = (static_cast<size_t>(st.st_size) + page - 1) / page;
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  EXPECT_NE(map, MAP_FAILED) << path;
  std::vector<unsigned char> in_core(pages);
  EXPECT_EQ(::mincore(map, static_cast<size_t>(st.st_size), in_core.data()), 0);
  ::munmap(map, static_cast<size_t>(st.st_size));
  ::close(fd);
  return {static_cast<size_t>(std::count_if(in_core.begin(), in_core.end(), [](unsigned char c) { return c & 1; })),
          pages};
}

// Reading a file from its start pushes the small files after it (in archive order, which is
// name order) into the kernel's page cache, so that reading them needs no request: those
// after it are resident without having been read, with their exact contents, while those
// before it and one too large to push (300 KiB) are not.
TEST_F(PxarMountTest, FilesAfterOneReadArePushedIntoThePageCache) {
  const fsys::path many = tmp_ / "many";
  fsys::create_directories(many / "dir");
  std::mt19937 rng(5);
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%02d", i);
    names.push_back(name);
    Bytes content(i == 20 ? 300 << 10 : 1000 + 997 * static_cast<size_t>(i));
    for (auto& b : content) b = static_cast<uint8_t>(rng());
    WriteFileBytes(many / "dir" / name, content);
  }
  Cairn({"backup", "dir", store_, "--id", "many", "--backup-time", kTime, "root.pxar=" + many.string()});
  Mount();
  const fsys::path dir = mnt_ / "host" / "many" / kTime / "root.pxar" / "dir";
  // Pushes go only to files the kernel knows.
  for (const std::string& name : names) ASSERT_TRUE(fsys::is_regular_file(dir / name)) << MountLog();
  for (const std::string& name : names) EXPECT_EQ(ResidentPages(dir / name).first, 0u) << name;

  EXPECT_EQ(ReadFileBytes(dir / "f10"), ReadFileBytes(many / "dir" / "f10"));
  auto pushed = [&](const std::string& name) {
    auto [resident, pages] = ResidentPages(dir / name);
    return resident == pages;
  };
  EXPECT_TRUE(WaitFor([&] { return pushed("f39"); }, 30)) << MountLog();
  for (int i = 0; i < 40; ++i) {
    if (i < 10 || i == 20) {
      EXPECT_EQ(ResidentPages(dir / names[i]).first, 0u) << names[i];
    } else {
      EXPECT_TRUE(pushed(names[i])) << names[i];
      EXPECT_EQ(ReadFileBytes(dir / names[i]), ReadFileBytes(many / "dir" / names[i])) << names[i];
    }
  }
  Unmount();

  // Without read-ahead nothing is pushed: a push takes milliseconds, this waits a second.
  Mount({"--readahead", "0"});
  for (const std::string& name : names) ASSERT_TRUE(fsys::is_regular_file(dir / name)) << MountLog();
  EXPECT_EQ(ReadFileBytes(dir / "f10"), ReadFileBytes(many / "dir" / "f10"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(ResidentPages(dir / "f11").first, 0u);
  EXPECT_EQ(ResidentPages(dir / "f39").first, 0u);
  Unmount();
}

// Every name of a hardlinked file reports the file's inode and its true number of names, in
// unified and split archives, whichever name is looked at first.
TEST_F(PxarMountTest, HardlinksReportTheirLinkCount) {
  const fsys::path links = tmp_ / "links";
  fsys::create_directories(links / "a/b");
  fsys::create_directories(links / "c");
  WriteFileBytes(links / "a/b/first", AsBytes("three names\n"));
  fsys::create_hard_link(links / "a/b/first", links / "c/second");
  fsys::create_hard_link(links / "a/b/first", links / "third");
  WriteFileBytes(links / "pair", AsBytes("two names\n"));
  fsys::create_hard_link(links / "pair", links / "a/pair-again");
  WriteFileBytes(links / "single", AsBytes("one name\n"));
  Cairn({"backup", "dir", store_, "--id", "links", "--backup-time", kTime, "root.pxar=" + links.string()});
  Cairn({"backup", "dir", store_, "--id", "links-split", "--backup-time", kTime, "--split",
         "root.pxar=" + links.string()});
  Mount();
  for (const char* id : {"links", "links-split"}) {
    const fsys::path root = mnt_ / "host" / id / kTime / "root.pxar";
    // Look at a later name first: its count must not depend on what was listed before.
    CommandResult three = RunProgram({"stat", "-c", "%h %i", (root / "third").string(), (root / "c/second").string(),
                                      (root / "a/b/first").string()});
    ASSERT_EQ(three.exit_code, 0) << three.err << MountLog();
    std::istringstream lines(three.out);
    std::string first_line, line;
    std::getline(lines, first_line);
    EXPECT_TRUE(first_line.starts_with("3 ")) << id << ": " << three.out;
    while (std::getline(lines, line)) EXPECT_EQ(line, first_line) << id;
    CommandResult two = RunProgram({"stat", "-c", "%h", (root / "a/pair-again").string(), (root / "pair").string()});
    EXPECT_EQ(two.out, "2\n2\n") << id;
    EXPECT_EQ(RunProgram({"stat", "-c", "%h", (root / "single").string()}).out, "1\n") << id;
  }
  Unmount();
}

}  // namespace
}  // namespace cairn::test
