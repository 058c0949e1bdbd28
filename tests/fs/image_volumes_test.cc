// Issue 7 end to end: disk images made by sfdisk, mkfs.ext4 -d, mkfs.vfat and mkswap, backed
// up with `cairn backup image`, seen through a real FUSE mount (`.parts/`, `.fs/`,
// index.json), through the kernel's loop device where the machine has one, and through
// `cairn nbd` with nbdinfo.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/crypto/sha256.h"
#include "core/util/hex.h"
#include "tests/fs/mount_fixture.h"
#include "tests/nbd/nbd_fixture.h"
#include "tests/partition/disk_images.h"
#include "tests/partition/source_tree.h"

namespace cairn::test {
namespace {

namespace fsys = std::filesystem;

constexpr uint64_t kMiB = 1 << 20;
constexpr char kTime[] = "2024-05-01T10:00:00Z";

std::string Sha(ByteView data) {
  return ToHex(Sha256(data));
}

std::set<std::string> Names(const fsys::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fsys::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

// What to write into a partition, made knowing its place and size; null: leave it as it is.
using PartitionContent = std::function<Bytes(const SfdiskPartition&)>;

// A disk image partitioned by sfdisk with `script`; the i-th partition sfdisk lists gets
// `contents[i]`. Returns the partitions (fails the test when their number differs).
std::vector<SfdiskPartition> PartitionedDisk(const fsys::path& image, uint64_t size, const std::string& script,
                                             const std::vector<PartitionContent>& contents) {
  std::vector<SfdiskPartition> parts = Sfdisk(image, size, script);
  EXPECT_EQ(parts.size(), contents.size()) << script;
  for (size_t i = 0; i < std::min(parts.size(), contents.size()); ++i) {
    if (contents[i]) WriteAt(image, parts[i].offset, contents[i](parts[i]));
  }
  return parts;
}

class ImageVolumesTest : public MountFixture {
 protected:
  void SetUp() override {
    MountFixture::SetUp();
    src_ = tmp_ / "src";
    MakeSourceTree(src_);
    const Bytes ext4 = MakeExt4(tmp_ / "ext4", 24 * kMiB, src_);
    const Bytes vfat =
        MakeVfat(tmp_ / "vfat", 12 * kMiB, {{"HELLO.TXT", "hello from fat\n"}, {"readme.md", "# readme\n"}});
    auto holding = [](const Bytes& bytes) -> PartitionContent {
      return [&bytes](const SfdiskPartition&) { return bytes; };
    };

    // GPT: EFI (vfat), root (ext4), swap.
    gpt_parts_ = PartitionedDisk(tmp_ / "gpt", 64 * kMiB,
                                 "label: gpt\n"
                                 "size=12MiB, type=uefi, name=\"EFI system\"\n"
                                 "size=24MiB, type=linux, name=\"root\"\n"
                                 "type=swap\n",
                                 {holding(vfat), holding(ext4),
                                  [&](const SfdiskPartition& p) { return MakeSwap(tmp_ / "swap", p.size); }});
    ASSERT_EQ(gpt_parts_.size(), 3u);

    // MBR: ext4 primary, an extended partition with vfat and ext4 logical partitions.
    mbr_parts_ = PartitionedDisk(tmp_ / "mbr", 96 * kMiB,
                                 "label: dos\n"
                                 "size=24MiB, type=83\n"
                                 "type=5\n"
                                 "size=12MiB, type=c\n"
                                 "size=24MiB, type=83\n",
                                 {holding(ext4), nullptr, holding(vfat), holding(ext4)});
    ASSERT_EQ(mbr_parts_.size(), 4u);

    gpt_ = ReadFileBytes(tmp_ / "gpt");
    mbr_ = ReadFileBytes(tmp_ / "mbr");
    whole_ = ext4;
    BackupImage("100", kTime, gpt_);
    BackupImage("101", kTime, mbr_);
    BackupImage("102", kTime, whole_);
  }

  fsys::path Snap(const std::string& id) const { return mnt_ / "vm" / id / kTime; }

  // Partition `p` of `disk` as a file in the mount equals those bytes of the disk.
  void ExpectPartitionFile(const std::string& id, const Bytes& disk, const SfdiskPartition& p) {
    fsys::path file = Snap(id) / "drive-scsi0.img.parts" / std::to_string(p.number);
    struct stat st;
    ASSERT_EQ(stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), p.size) << file;
    EXPECT_EQ(st.st_mode, S_IFREG | 0444);
    EXPECT_EQ(Sha(ReadFileBytes(file)), Sha(ByteView(disk).subspan(p.offset, p.size))) << file;
  }

  fsys::path src_;
  std::vector<SfdiskPartition> gpt_parts_, mbr_parts_;
  Bytes gpt_, mbr_, whole_;
};

TEST_F(ImageVolumesTest, PartitionFilesAreTheExactExtents) {
  Mount();
  EXPECT_EQ(Names(Snap("100")), (std::set<std::string>{"index.json", "drive-scsi0.img",
                                                       "drive-scsi0.img.parts", "drive-scsi0.img.fs"}));
  EXPECT_EQ(Names(Snap("100") / "drive-scsi0.img.parts"),
            (std::set<std::string>{"1", "2", "3", "1-EFI system", "2-root"}));
  EXPECT_EQ(fsys::read_symlink(Snap("100") / "drive-scsi0.img.parts/1-EFI system"), "1");
  EXPECT_EQ(fsys::read_symlink(Snap("100") / "drive-scsi0.img.parts/2-root"), "2");
  for (const SfdiskPartition& p : gpt_parts_) ExpectPartitionFile("100", gpt_, p);

  // The extended container is not a partition file; logical partitions are 5 and 6.
  EXPECT_EQ(Names(Snap("101") / "drive-scsi0.img.parts"), (std::set<std::string>{"1", "5", "6"}));
  for (const SfdiskPartition& p : mbr_parts_) {
    if (p.type != "5") ExpectPartitionFile("101", mbr_, p);
  }
  EXPECT_TRUE(Names(Snap("102") / "drive-scsi0.img.parts").empty());
  EXPECT_FALSE(fsys::exists(Snap("100") / "drive-scsi0.img.parts/4"));
  EXPECT_FALSE(fsys::exists(Snap("100") / "drive-scsi0.img.parts/01"));
}

TEST_F(ImageVolumesTest, ExtTreesBrowseLikeTheSource) {
  Mount();
  EXPECT_EQ(Names(Snap("100") / "drive-scsi0.img.fs"), (std::set<std::string>{"2"}));
  EXPECT_EQ(Names(Snap("101") / "drive-scsi0.img.fs"), (std::set<std::string>{"1", "6"}));
  EXPECT_EQ(Names(Snap("102") / "drive-scsi0.img.fs"), (std::set<std::string>{"0"}));
  for (const fsys::path& root :
       {Snap("100") / "drive-scsi0.img.fs/2", Snap("101") / "drive-scsi0.img.fs/1",
        Snap("101") / "drive-scsi0.img.fs/6", Snap("102") / "drive-scsi0.img.fs/0"}) {
    SCOPED_TRACE(root);
    EXPECT_EQ(CompareTrees(src_, root), 12u);
  }
  fsys::path fs = Snap("100") / "drive-scsi0.img.fs/2";
  struct stat a, b;
  ASSERT_EQ(stat((fs / "etc/fstab").c_str(), &a), 0);
  ASSERT_EQ(stat((fs / "etc/fstab.hardlink").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
  EXPECT_EQ(a.st_mode, S_IFREG | 0640);
  EXPECT_EQ(a.st_mtim.tv_sec, 1700000000);
  // A second mount numbers the same inodes the same way.
  Unmount();
  Mount();
  ASSERT_EQ(stat((fs / "etc/fstab").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  // Writing is refused.
  EXPECT_FALSE(std::ofstream(fs / "etc/new").is_open());
}

TEST_F(ImageVolumesTest, IndexJsonNamesTheFilesystems) {
  Mount();
  std::ifstream in(Snap("100") / "index.json");
  nlohmann::json doc = nlohmann::json::parse(in);
  nlohmann::json image;
  for (const nlohmann::json& file : doc["files"]) {
    if (file["filename"] == "drive-scsi0.img.fidx") image = file;
  }
  ASSERT_EQ(image["partition-table"], "gpt") << doc.dump(2);
  ASSERT_EQ(image["volumes"].size(), 3u);
  const nlohmann::json& efi = image["volumes"][0];
  EXPECT_EQ(efi["number"], 1);
  EXPECT_EQ(efi["offset"], gpt_parts_[0].offset);
  EXPECT_EQ(efi["size"], gpt_parts_[0].size);
  EXPECT_EQ(efi["label"], "EFI system");
  EXPECT_EQ(efi["type-name"], "EFI System");
  EXPECT_EQ(efi["filesystem"], "vfat");
  EXPECT_EQ(efi["file"], "drive-scsi0.img.parts/1");
  EXPECT_EQ(efi["mount-hint"], "mount -t vfat -o loop,ro 'drive-scsi0.img.parts/1' /mnt");
  EXPECT_FALSE(efi.contains("browse"));
  const nlohmann::json& root = image["volumes"][1];
  EXPECT_EQ(root["filesystem"], "ext4");
  EXPECT_EQ(root["browse"], "drive-scsi0.img.fs/2");
  EXPECT_EQ(root["mount-hint"], "mount -t ext4 -o loop,ro,noload 'drive-scsi0.img.parts/2' /mnt");
  EXPECT_EQ(image["volumes"][2]["filesystem"], "swap");
  EXPECT_TRUE(image["volumes"][2]["mount-hint"].is_null());

  std::ifstream whole_in(Snap("102") / "index.json");
  nlohmann::json whole = nlohmann::json::parse(whole_in);
  for (const nlohmann::json& file : whole["files"]) {
    if (file["filename"] != "drive-scsi0.img.fidx") continue;
    EXPECT_EQ(file["partition-table"], "none");
    EXPECT_EQ(file["volumes"][0]["number"], 0);
    EXPECT_EQ(file["volumes"][0]["file"], "drive-scsi0.img");
    EXPECT_EQ(file["volumes"][0]["browse"], "drive-scsi0.img.fs/0");
  }
}

// An encrypted image's partitions need the key like the image does; index.json still opens.
TEST_F(ImageVolumesTest, EncryptedImagePartitionsNeedTheKey) {
  std::string key = (tmp_ / "key.json").string();
  Cairn({"key", "create", key, "--kdf", "none"});
  Cairn({"backup", "image", store_, "--id", "103", "--backup-time", kTime, "--keyfile", key,
         "drive-scsi0.img=" + (tmp_ / "gpt").string()});
  Mount();
  fsys::path parts = Snap("103") / "drive-scsi0.img.parts";
  std::error_code ec;
  fsys::directory_iterator listing(parts, ec);
  EXPECT_EQ(ec.value(), EACCES) << ec.message();
  {
    std::ifstream in(Snap("103") / "index.json");  // closed before unmounting
    nlohmann::json doc = nlohmann::json::parse(in);
    EXPECT_TRUE(doc["files"][0]["volumes-error"].is_string()) << doc.dump(2);
  }
  Unmount();

  Mount({"-o", "keyfile=" + key});
  EXPECT_EQ(Names(parts), (std::set<std::string>{"1", "2", "3", "1-EFI system", "2-root"}));
  ExpectPartitionFile("103", gpt_, gpt_parts_[1]);
  EXPECT_EQ(CompareTrees(src_, Snap("103") / "drive-scsi0.img.fs/2"), 12u);
}

// The kernel reads partition files like block devices: loop-mount them read-only.
TEST_F(ImageVolumesTest, LoopMountsPartitionFiles) {
  Mount();
  if (geteuid() != 0) GTEST_SKIP() << "LOOP DEVICES NEED ROOT: loop-mount comparison not run";
  ShellResult free_loop = Sh("losetup -f");
  if (free_loop.exit_code != 0)
    GTEST_SKIP() << "NO LOOP DEVICE AVAILABLE (losetup -f: " << free_loop.output << ")";
  fsys::path target = tmp_ / "loop";
  fsys::create_directory(target);
  fsys::path part = Snap("100") / "drive-scsi0.img.parts/2";
  ShellResult mounted = Sh("mount -o loop,ro,noload '" + part.string() + "' '" + target.string() + "'");
  if (mounted.exit_code != 0) GTEST_SKIP() << "LOOP MOUNT REFUSED BY THIS MACHINE: " << mounted.output;
  EXPECT_EQ(CompareTrees(src_, target, CompareOptions{true, true, true}), 12u);
  EXPECT_EQ(Sh("umount '" + target.string() + "'").exit_code, 0);

  fsys::path efi = Snap("100") / "drive-scsi0.img.parts/1-EFI system";
  ShellResult fat = Sh("mount -t vfat -o loop,ro '" + efi.string() + "' '" + target.string() + "'");
  if (fat.exit_code != 0 && Sh("modprobe vfat 2>/dev/null; grep -qw vfat /proc/filesystems").exit_code != 0) {
    // The ext4 comparison above is the test; a kernel without vfat only shortens it.
    std::printf("NOTE: this kernel has no vfat; the EFI partition was not loop-mounted (%s)\n", fat.output.c_str());
    RecordProperty("vfat_loop_mount", "kernel without vfat");
    return;
  }
  ASSERT_EQ(fat.exit_code, 0) << fat.output;
  std::ifstream hello(target / "HELLO.TXT");
  std::string line;
  std::getline(hello, line);
  EXPECT_EQ(line, "hello from fat");
  hello.close();
  EXPECT_EQ(Sh("umount '" + target.string() + "'").exit_code, 0);
}

// `cairn restore` takes paths as the mount shows them: a whole ext tree, and a single file.
TEST_F(ImageVolumesTest, RestoreFromAnImageFilesystem) {
  fsys::path tree = tmp_ / "restored-tree", file = tmp_ / "restored-fstab";
  Cairn({"restore", store_, std::string("vm/100/") + kTime, "drive-scsi0.img.fs/2", tree.string()});
  EXPECT_EQ(CompareTrees(src_, tree), 12u);
  Cairn({"restore", store_, std::string("vm/101/") + kTime, "drive-scsi0.img.fs/6/etc/fstab", file.string()});
  EXPECT_EQ(ReadFileBytes(file), ReadFileBytes(src_ / "etc/fstab"));
  // Volume 5 of the MBR disk (a logical partition) is vfat: named, not guessed at.
  CommandResult fat = Cairn({"restore", store_, std::string("vm/101/") + kTime, "drive-scsi0.img.fs/5",
                             (tmp_ / "y").string()},
                            8);
  EXPECT_NE(fat.err.find("vfat"), std::string::npos) << fat.err;
  Cairn({"restore", store_, std::string("vm/101/") + kTime, "drive-scsi0.img.fs/9", (tmp_ / "z").string()}, 3);
  Cairn({"restore", store_, std::string("vm/100/") + kTime, "drive-scsi0.img.fs/2", tree.string(), "--include", "*"}, 2);
}

// `cairn nbd` exports every partition as <image export>/part<N> with its exact size.
TEST_F(ImageVolumesTest, NbdExportsPartitions) {
  std::string socket = (tmp_ / "nbd.sock").string();
  std::string env;
  for (const std::string& e : env_) env += " '" + e + "'";
  ShellResult started =
      Sh("(exec env" + env + " " + CAIRN_BINARY + " nbd " + store_ + " --listen unix:" + socket + " >" +
         (tmp_ / "nbd.log").string() + " 2>&1) & echo $!");
  ASSERT_EQ(started.exit_code, 0);
  pid_t server = std::stoi(started.output);
  auto stop = [&] {
    kill(server, SIGTERM);
    WaitFor([&] { return kill(server, 0) != 0; }, 30);
  };
  ASSERT_TRUE(WaitFor([&] { return fsys::exists(socket); }, 30)) << "server did not start";
  ShellResult listed = Sh("nbdinfo --json --list 'nbd+unix:///?socket=" + socket + "'");
  std::string copy = (tmp_ / "part2.copy").string();
  ShellResult copied = Sh("nbdcopy 'nbd+unix:///vm/101/" + std::string(kTime) +
                          "/drive-scsi0.img/part5?socket=" + socket + "' '" + copy + "'");
  stop();
  ASSERT_EQ(copied.exit_code, 0) << copied.output;
  EXPECT_EQ(Sha(ReadFileBytes(copy)), Sha(ByteView(mbr_).subspan(mbr_parts_[2].offset, mbr_parts_[2].size)));
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  std::map<std::string, uint64_t> sizes;
  nlohmann::json doc = nlohmann::json::parse(listed.output);
  for (const nlohmann::json& e : doc["exports"]) {
    sizes[e["export-name"].get<std::string>()] = e["export-size"].get<uint64_t>();
  }
  const std::string gpt = std::string("vm/100/") + kTime + "/drive-scsi0.img";
  const std::string mbr = std::string("vm/101/") + kTime + "/drive-scsi0.img";
  EXPECT_EQ(sizes[gpt], gpt_.size());
  for (const SfdiskPartition& p : gpt_parts_) {
    EXPECT_EQ(sizes[gpt + "/part" + std::to_string(p.number)], p.size);
    EXPECT_EQ(sizes["vm/100/latest/drive-scsi0.img/part" + std::to_string(p.number)], p.size);
  }
  EXPECT_EQ(sizes[mbr + "/part1"], mbr_parts_[0].size);
  EXPECT_EQ(sizes[mbr + "/part5"], mbr_parts_[2].size);
  EXPECT_EQ(sizes[mbr + "/part6"], mbr_parts_[3].size);
  EXPECT_FALSE(sizes.count(mbr + "/part2"));  // the extended container
  EXPECT_FALSE(sizes.count(std::string("vm/102/") + kTime + "/drive-scsi0.img/part1"));
  // 3 images + 3 aliases, 6 partitions + 6 aliases.
  EXPECT_EQ(sizes.size(), 18u) << listed.output;
}

}  // namespace
}  // namespace cairn::test
