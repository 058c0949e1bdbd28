// chattr flags and quota project ids: recorded by `cairn backup dir` and set again by
// `cairn restore` on a file system that has both (XFS in a loop-mounted image; ext4 keeps
// project ids only on kernels with quota support), while a target without them (tmpfs)
// gets everything else and a warning per attribute it refused.
#include <sys/stat.h>

#include <algorithm>
#include <utility>
#include <sstream>
#include <vector>

#include "tests/fs/mount_fixture.h"

namespace cairn::test {
namespace {

namespace fsys = std::filesystem;

constexpr char kTime[] = "2024-05-01T10:00:00Z";
constexpr char kSnapshot[] = "host/attrs/2024-05-01T10:00:00Z";

void RunOk(const std::vector<std::string>& argv) {
  CommandResult r = RunProgram(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << ": " << r.err << r.out;
}

// `lsattr -R -p` of `root` with the root path taken out: "<projid> <flags> <path>" lines,
// sorted (directory order differs between trees).
std::string Attributes(const fsys::path& root) {
  CommandResult r = RunProgram({"lsattr", "-R", "-p", root.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  const std::string prefix = root.string();
  for (size_t at; (at = out.find(prefix)) != std::string::npos;) out.erase(at, prefix.size());
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line + "\n");
  }
  std::sort(lines.begin(), lines.end());
  std::string sorted;
  for (const std::string& line : lines) sorted += line;
  return sorted;
}

class RestoreAttributesTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    image_ = tmp_ / "xfs.img";
    xfs_ = tmp_ / "xfs";
    fsys::create_directory(xfs_);
    WriteFileBytes(image_, {});
    fsys::resize_file(image_, 300 << 20);  // XFS's minimum size; sparse
    RunOk({"mkfs.xfs", "-q", image_.string()});
    RunOk({"mount", "-o", "loop", image_.string(), xfs_.string()});
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) {
      EXPECT_EQ(RunProgram({"umount", xfs_.string()}).exit_code, 0);
    }
  }

  fsys::path image_, xfs_;
  bool mounted_ = false;
};

TEST_F(RestoreAttributesTest, ChattrFlagsAndProjectIdsRoundTrip) {
  const fsys::path src = xfs_ / "src";
  fsys::create_directories(src / "d");
  WriteFileBytes(src / "d/append", AsBytes("append only\n"));
  WriteFileBytes(src / "d/frozen", AsBytes("immutable\n"));
  WriteFileBytes(src / "plain", AsBytes("no attributes\n"));
  RunOk({"chattr", "-p", "7", "+a", "+d", "+S", (src / "d/append").string()});
  RunOk({"chattr", "+i", (src / "d/frozen").string()});
  RunOk({"chattr", "-p", "42", "+P", "+A", (src / "d").string()});
  Cairn({"backup", "dir", store_, "--id", "attrs", "--type", "host", "--backup-time", kTime,
         "root.pxar=" + src.string()});

  const fsys::path restored = xfs_ / "restored";
  CommandResult r = Cairn({"restore", store_, kSnapshot, "root.pxar", restored.string()});
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  const std::string expected = Attributes(src);
  EXPECT_NE(expected.find("   42 -------A-----------P-- /d\n"), std::string::npos) << expected;
  EXPECT_NE(expected.find("    7 --S--ad--------------- /d/append\n"), std::string::npos) << expected;
  EXPECT_EQ(Attributes(restored), expected);
  EXPECT_EQ(AsChars(ReadFileBytes(restored / "d/append")), "append only\n");

  // tmpfs has no project ids and no sync flag: warnings, the rest restored, exit 0.
  const fsys::path on_tmpfs = tmp_ / "tmpfs-target";
  CommandResult t = Cairn({"restore", store_, kSnapshot, "root.pxar", on_tmpfs.string()});
  EXPECT_NE(t.err.find("warning: d: cannot set quota project id 42: "), std::string::npos) << t.err;
  EXPECT_NE(t.err.find("warning: d/append: cannot set quota project id 7: "), std::string::npos) << t.err;
  EXPECT_NE(t.err.find("warning: d/append: cannot set chattr flags "), std::string::npos) << t.err;
  EXPECT_EQ(RunProgram({"lsattr", "-d", (on_tmpfs / "d/frozen").string()}).out.substr(0, 5), "----i");
  EXPECT_EQ(AsChars(ReadFileBytes(on_tmpfs / "plain")), "no attributes\n");
  RunOk({"chattr", "-R", "-i", "-a", on_tmpfs.string()});  // so that the temp dir can go
}

TEST_F(RestoreAttributesTest, HardlinksToImmutableAndAppendOnlyFilesAreRestored) {
  // No name can be linked to a file once it is immutable or append-only, so the restore
  // clears the flag of the first name while it links a later one, and sets it again.
  const fsys::path src = xfs_ / "src";
  fsys::create_directories(src / "a");
  fsys::create_directories(src / "z");
  WriteFileBytes(src / "a/frozen", AsBytes("immutable\n"));
  WriteFileBytes(src / "a/log", AsBytes("append only\n"));
  fsys::create_hard_link(src / "a/frozen", src / "z/frozen-link");
  fsys::create_hard_link(src / "a/log", src / "z/log-link");
  RunOk({"chattr", "+i", (src / "a/frozen").string()});
  RunOk({"chattr", "+a", (src / "a/log").string()});
  Cairn({"backup", "dir", store_, "--id", "attrs", "--type", "host", "--backup-time", kTime,
         "root.pxar=" + src.string()});

  const fsys::path restored = xfs_ / "restored";
  CommandResult r = Cairn({"restore", store_, kSnapshot, "root.pxar", restored.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  for (const auto& [first, second] : {std::pair{"a/frozen", "z/frozen-link"}, std::pair{"a/log", "z/log-link"}}) {
    struct stat a {}, b {};
    ASSERT_EQ(::stat((restored / first).c_str(), &a), 0) << first;
    ASSERT_EQ(::stat((restored / second).c_str(), &b), 0) << second;
    EXPECT_EQ(a.st_ino, b.st_ino) << second;
    EXPECT_EQ(a.st_nlink, 2u) << first;
  }
  EXPECT_EQ(AsChars(ReadFileBytes(restored / "z/frozen-link")), "immutable\n");
  EXPECT_EQ(AsChars(ReadFileBytes(restored / "z/log-link")), "append only\n");
  EXPECT_EQ(Attributes(restored), Attributes(src));
  EXPECT_EQ(RunProgram({"lsattr", "-d", (restored / "z/frozen-link").string()}).out.substr(0, 5), "----i");
  EXPECT_EQ(RunProgram({"lsattr", "-d", (restored / "z/log-link").string()}).out.substr(0, 6), "-----a");
}

}  // namespace
}  // namespace cairn::test
