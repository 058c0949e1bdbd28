// Restoring from an image whose ext4 filesystem was crafted to escape the target: entries
// named "..", "." and "../../escaped", a second "sub" (a directory) after a symlink "sub"
// pointing outside, a second "victim", symlinks to /etc and far upwards. `cairn restore`
// writes nothing outside TARGET, names every refused entry and exits with 9; legal but
// awkward names come back exactly, and symlinks are restored as symlinks, never followed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "tests/cli/cli_fixture.h"
#include "tests/fs/mount_fixture.h"
#include "tests/partition/disk_images.h"

namespace cairn::test {
namespace {

constexpr char kTime[] = "2024-05-01T10:00:00Z";

// Renames directory entry `placeholder` to `name` (not longer) in the filesystem image by
// rewriting the entry's name bytes and name_len in place: names debugfs cannot make.
// REQUIRES: no metadata checksums, `placeholder` occurs exactly once in the image.
void RenameEntry(Bytes& image, const std::string& placeholder, const std::string& name) {
  auto at = std::search(image.begin(), image.end(), placeholder.begin(), placeholder.end());
  ASSERT_NE(at, image.end()) << placeholder;
  ASSERT_EQ(std::search(at + 1, image.end(), placeholder.begin(), placeholder.end()), image.end()) << placeholder;
  ASSERT_EQ(*(at - 2), placeholder.size()) << "name_len of " << placeholder;  // ext4 dirent: name_len, type, name
  *(at - 2) = static_cast<uint8_t>(name.size());
  std::copy(name.begin(), name.end(), at);
}

// Every path under `dir`, relative to it, sorted; symlinks are listed, not followed.
std::vector<std::string> Tree(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    out.push_back(entry.path().lexically_relative(dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class HostileExtRestoreTest : public CliFixture {};

TEST_F(HostileExtRestoreTest, NothingLeavesTheTargetAndRefusalsAreNamed) {
  const std::filesystem::path sandbox = tmp_ / "sandbox", outside = sandbox / "outside";
  std::filesystem::create_directories(outside);
  std::filesystem::path src = tmp_ / "src";
  std::filesystem::create_directories(src / "etc");
  std::filesystem::create_directories(src / "subdir-real");
  WriteFileBytes(src / "victim", AsBytes("secret\n"));
  WriteFileBytes(src / "evil", AsBytes("evil\n"));
  WriteFileBytes(src / "subdir-real/planted", AsBytes("planted\n"));
  WriteFileBytes(src / "etc/hosts", AsBytes("image hosts\n"));
  const std::string awkward_a = "new\nline", awkward_b = "\xfe\xff -rf";
  WriteFileBytes(src / awkward_a, AsBytes("a\n"));
  WriteFileBytes(src / awkward_b, AsBytes("b\n"));
  for (const char* placeholder : {"PH1-dotdot", "PH2-dot", "PH3-slash-name"}) {
    WriteFileBytes(src / placeholder, AsBytes("content\n"));
  }
  const std::filesystem::path fs_image = tmp_ / "ext4.img";
  MakeExt4(fs_image, 8 << 20, src, "-O ^metadata_csum");
  WriteFileBytes(tmp_ / "debugfs.cmds", AsBytes("symlink abs-etc /etc\n"
                                                "symlink up ../../../../../../../outside\n"
                                                "symlink sub " + outside.string() + "\n"
                                                "ln subdir-real PH5-dup-sub\n"
                                                "ln evil PH4-dup-victim\n"));
  CommandResult debugfs = RunProgram({"debugfs", "-w", "-f", (tmp_ / "debugfs.cmds").string(), fs_image.string()});
  ASSERT_EQ(debugfs.exit_code, 0) << debugfs.err;
  ASSERT_EQ(debugfs.err.find("make_link"), std::string::npos) << debugfs.err;
  Bytes image = ReadFileBytes(fs_image);
  ASSERT_NO_FATAL_FAILURE(RenameEntry(image, "PH1-dotdot", ".."));
  ASSERT_NO_FATAL_FAILURE(RenameEntry(image, "PH2-dot", "."));
  ASSERT_NO_FATAL_FAILURE(RenameEntry(image, "PH3-slash-name", "../../escaped"));
  ASSERT_NO_FATAL_FAILURE(RenameEntry(image, "PH4-dup-victim", "victim"));
  ASSERT_NO_FATAL_FAILURE(RenameEntry(image, "PH5-dup-sub", "sub"));
  BackupImage("100", kTime, image);
  const std::string snapshot = std::string("vm/100/") + kTime;

  // The whole filesystem: the hostile entries are refused by name, everything else arrives.
  const std::filesystem::path target = sandbox / "a/target";
  std::filesystem::create_directory(sandbox / "a");
  CommandResult r = Cairn({"restore", store_, snapshot, "drive-scsi0.img.fs/0", target.string()}, 9);
  // Each refusal on a line of its own: "skipped: <image>: entry "NAME" (inode N) in DIR WHY".
  auto refusal = [&](const std::string& name) {
    size_t at = r.err.find("entry \"" + name + "\" (inode ");
    return at == std::string::npos ? std::string() : r.err.substr(at, r.err.find('\n', at) - at);
  };
  for (const std::string name : {"..", ".", "../../escaped"}) {
    EXPECT_TRUE(refusal(name).ends_with(") in " + target.string() + " is not a plain file name")) << name << "\n" << r.err;
  }
  // The second "sub" (the directory subdir-real) and the second "victim" (the file evil).
  for (const std::string name : {"sub", "victim"}) {
    EXPECT_TRUE(refusal(name).ends_with(") in " + target.string() + " repeats a name of the directory")) << r.err;
  }
  EXPECT_NE(r.err.find("\n5 entries refused"), std::string::npos) << r.err;
  std::vector<std::string> expected = {"a", "a/target", "outside"};
  for (const std::string name : {"abs-etc", "etc", "etc/hosts", "evil", "lost+found", "sub", "subdir-real",
                                 "subdir-real/planted", "up", "victim", awkward_a.c_str(), awkward_b.c_str()}) {
    expected.push_back("a/target/" + name);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Tree(sandbox), expected);
  EXPECT_EQ(AsChars(ReadFileBytes(target / "victim")), "secret\n");
  EXPECT_EQ(AsChars(ReadFileBytes(target / awkward_a)), "a\n");
  EXPECT_EQ(AsChars(ReadFileBytes(target / awkward_b)), "b\n");
  EXPECT_EQ(std::filesystem::read_symlink(target / "abs-etc"), "/etc");
  EXPECT_EQ(std::filesystem::read_symlink(target / "up"), "../../../../../../../outside");
  EXPECT_EQ(std::filesystem::read_symlink(target / "sub"), outside);

  // One path through the image's symlink to /etc: resolved inside the image, not the host.
  Cairn({"restore", store_, snapshot, "drive-scsi0.img.fs/0/abs-etc/hosts", (sandbox / "hosts").string()});
  EXPECT_EQ(AsChars(ReadFileBytes(sandbox / "hosts")), "image hosts\n");
  // A symlink as the path restores the link itself.
  Cairn({"restore", store_, snapshot, "drive-scsi0.img.fs/0/sub", (sandbox / "sub-link").string()});
  EXPECT_EQ(std::filesystem::read_symlink(sandbox / "sub-link"), outside);
  // Restoring a file onto an existing symlink replaces the link; nothing goes through it.
  std::filesystem::create_symlink(outside / "through", sandbox / "trap");
  Cairn({"restore", store_, snapshot, "drive-scsi0.img.fs/0/victim", (sandbox / "trap").string()}, 2);
  Cairn({"restore", store_, snapshot, "drive-scsi0.img.fs/0/victim", (sandbox / "trap").string(), "--overwrite"});
  EXPECT_FALSE(std::filesystem::is_symlink(sandbox / "trap"));
  EXPECT_EQ(AsChars(ReadFileBytes(sandbox / "trap")), "secret\n");
  EXPECT_TRUE(Tree(outside).empty());
}

}  // namespace
}  // namespace cairn::test
