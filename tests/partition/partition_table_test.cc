// The partition table parser against tables made by sfdisk, and against damaged and hostile
// tables: every failure is an Error kCorrupt that says what is wrong, nothing crashes.
#include "core/partition/partition_table.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <functional>
#include <random>

#include "core/partition/gpt.h"
#include "core/util/error.h"
#include "tests/partition/disk_images.h"
#include "tests/test_support.h"

namespace cairn::test {
namespace {

constexpr uint64_t kMiB = 1 << 20;

constexpr char kGptScript[] =
    "label: gpt\n"
    "size=8MiB, type=uefi, name=\"EFI system\"\n"
    "size=16MiB, type=linux, name=\"root\"\n"
    "size=4MiB, type=swap\n"
    "type=linux, name=\"d\xc3\xa4t\xc3\xa4 \xe2\x9c\x93\"\n";

constexpr char kMbrScript[] =
    "label: dos\n"
    "size=8MiB, type=83, bootable\n"
    "size=8MiB, type=c\n"
    "type=5\n"
    "size=4MiB, type=83\n"
    "size=4MiB, type=82\n"
    "type=83\n";

// The error kind and message of parsing `disk`, or "ok".
std::string FailureOf(ByteView disk) {
  try {
    ParsePartitionTable(disk);
    return "ok";
  } catch (const Error& e) {
    return std::string(ErrorKindName(e.kind())) + ": " + e.what();
  }
}

uint32_t Crc(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32(0, p, static_cast<uInt>(n)));
}

// Recomputes the entries CRC and the header CRC of the GPT header at `lba` (512-byte sectors).
void FixGptCrcs(Bytes& disk, uint64_t lba) {
  uint8_t* h = &disk[lba * 512];
  uint64_t entries = LoadLE<uint64_t>(h + 72);
  uint64_t bytes = uint64_t{LoadLE<uint32_t>(h + 80)} * LoadLE<uint32_t>(h + 84);
  uint64_t sectors = disk.size() / 512;
  if (entries < sectors && bytes <= (sectors - entries) * 512) {
    StoreLE<uint32_t>(h + 88, Crc(&disk[entries * 512], bytes));
  }
  StoreLE<uint32_t>(h + 16, 0);
  StoreLE<uint32_t>(h + 16, Crc(h, std::min<uint32_t>(LoadLE<uint32_t>(h + 12), 512)));
}

class PartitionTableTest : public ::testing::Test {
 protected:
  // A 64 MiB disk partitioned by sfdisk with `script`; sfdisk's view of it in `expected_`.
  Bytes Make(const std::string& script) {
    expected_ = Sfdisk(tmp_ / "disk", 64 * kMiB, script);
    return ReadFileBytes(tmp_ / "disk");
  }

  void ExpectSameAsSfdisk(const PartitionTable& table) {
    std::vector<SfdiskPartition> want;
    for (const SfdiskPartition& p : expected_) {
      if (p.type != "5") want.push_back(p);  // extended containers are not listed
    }
    ASSERT_EQ(table.partitions.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const Partition& got = table.partitions[i];
      EXPECT_EQ(got.number, want[i].number);
      EXPECT_EQ(got.offset, want[i].offset) << "partition " << got.number;
      EXPECT_EQ(got.size, want[i].size) << "partition " << got.number;
      EXPECT_EQ(got.label, want[i].name) << "partition " << got.number;
    }
  }

  TempDir tmp_;
  std::vector<SfdiskPartition> expected_;
};

TEST_F(PartitionTableTest, GptAsSfdiskWroteIt) {
  Bytes disk = Make(kGptScript);
  PartitionTable table = ParsePartitionTable(disk);
  EXPECT_EQ(table.scheme, PartitionScheme::kGpt);
  EXPECT_EQ(table.sector_size, 512u);
  EXPECT_TRUE(table.warnings.empty());
  ExpectSameAsSfdisk(table);
  ASSERT_EQ(table.partitions.size(), 4u);
  EXPECT_EQ(table.partitions[0].offset, 1 * kMiB);
  EXPECT_EQ(table.partitions[0].size, 8 * kMiB);
  EXPECT_EQ(table.partitions[0].label, "EFI system");
  EXPECT_EQ(table.partitions[0].type, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
  EXPECT_EQ(table.partitions[0].type_name, "EFI System");
  EXPECT_EQ(table.partitions[1].type_name, "Linux filesystem");
  EXPECT_EQ(table.partitions[2].type_name, "Linux swap");
  EXPECT_EQ(table.partitions[2].label, "");
  EXPECT_EQ(table.partitions[3].label, "d\xc3\xa4t\xc3\xa4 \xe2\x9c\x93");
}

TEST_F(PartitionTableTest, MbrWithExtendedAndLogicalPartitions) {
  Bytes disk = Make(kMbrScript);
  PartitionTable table = ParsePartitionTable(disk);
  EXPECT_EQ(table.scheme, PartitionScheme::kMbr);
  ExpectSameAsSfdisk(table);
  std::vector<uint32_t> numbers;
  for (const Partition& p : table.partitions) numbers.push_back(p.number);
  EXPECT_EQ(numbers, (std::vector<uint32_t>{1, 2, 5, 6, 7}));
  EXPECT_TRUE(table.partitions[0].bootable);
  EXPECT_FALSE(table.partitions[1].bootable);
  EXPECT_EQ(table.partitions[0].type, "0x83");
  EXPECT_EQ(table.partitions[1].type_name, "W95 FAT32 (LBA)");
  EXPECT_EQ(table.partitions[3].type_name, "Linux swap / Solaris");
}

TEST_F(PartitionTableTest, NoTable) {
  Bytes zeros(4 * kMiB, 0);
  EXPECT_EQ(ParsePartitionTable(zeros).scheme, PartitionScheme::kNone);
  EXPECT_EQ(ParsePartitionTable(Bytes(100, 0)).scheme, PartitionScheme::kNone);
  std::filesystem::create_directory(tmp_ / "src");
  Bytes ext4 = MakeExt4(tmp_ / "ext4", 8 * kMiB, tmp_ / "src");
  EXPECT_EQ(ParsePartitionTable(ext4).scheme, PartitionScheme::kNone);
  // A FAT boot sector ends in 55 AA like an MBR, but is none.
  Bytes vfat = MakeVfat(tmp_ / "vfat", 8 * kMiB, {{"A.TXT", "a"}});
  ASSERT_EQ(vfat[510], 0x55);
  EXPECT_EQ(ParsePartitionTable(vfat).scheme, PartitionScheme::kNone);
}

TEST_F(PartitionTableTest, GptFallsBackToTheBackup) {
  Bytes good = Make(kGptScript);
  PartitionTable want = ParsePartitionTable(good);
  uint64_t last = good.size() / 512 - 1;

  Bytes disk = good;
  disk[512 + 40] ^= 1;  // primary header: first usable LBA, CRC now wrong
  PartitionTable table = ParsePartitionTable(disk);
  EXPECT_EQ(table.partitions, want.partitions);
  ASSERT_EQ(table.warnings.size(), 1u);
  EXPECT_EQ(table.warnings[0], "primary GPT is damaged (header CRC32 mismatch); the backup at sector " +
                                   std::to_string(last) + " was used");

  disk = good;
  disk[1024 + 32] ^= 1;  // primary entries: first LBA of partition 1
  table = ParsePartitionTable(disk);
  EXPECT_EQ(table.partitions, want.partitions);
  ASSERT_EQ(table.warnings.size(), 1u);
  EXPECT_NE(table.warnings[0].find("entries CRC32 mismatch"), std::string::npos);

  disk = good;
  std::fill(disk.begin() + 512, disk.begin() + 1024, 0);  // primary header gone entirely
  EXPECT_EQ(ParsePartitionTable(disk).partitions, want.partitions);

  disk[last * 512 + 40] ^= 1;  // and the backup damaged too
  EXPECT_EQ(FailureOf(disk),
            "corrupt: GPT: primary at sector 1: no \"EFI PART\" signature; backup at sector " +
                std::to_string(last) + ": header CRC32 mismatch");
}

TEST_F(PartitionTableTest, HostileGptIsCorrupt) {
  Bytes good = Make(kGptScript);
  uint64_t last = good.size() / 512 - 1;
  auto both = [&](const std::function<void(uint8_t * header)>& edit) {
    Bytes disk = good;
    for (uint64_t lba : {uint64_t{1}, last}) {
      edit(&disk[lba * 512]);
      FixGptCrcs(disk, lba);
    }
    return FailureOf(disk);
  };
  std::string failure = both([](uint8_t* h) { StoreLE<uint32_t>(h + 80, 0xFFFFFFFF); });
  EXPECT_NE(
      failure.find("corrupt: GPT: primary at sector 1: 4294967295 entries of 128 bytes exceed 1048576 bytes"),
      std::string::npos)
      << failure;
  failure = both([](uint8_t* h) { StoreLE<uint32_t>(h + 84, 100); });
  EXPECT_NE(failure.find("entry size 100 is invalid"), std::string::npos) << failure;
  failure = both([](uint8_t* h) { StoreLE<uint32_t>(h + 12, 4096); });
  EXPECT_NE(failure.find("header size 4096 is not in [92, sector size]"), std::string::npos) << failure;
  failure = both([](uint8_t* h) { StoreLE<uint64_t>(h + 72, uint64_t{1} << 60); });
  EXPECT_NE(failure.find("lie beyond the disk"), std::string::npos) << failure;
  failure = both([](uint8_t* h) { StoreLE<uint64_t>(h + 48, ~uint64_t{0}); });
  EXPECT_NE(failure.find("are not on the disk"), std::string::npos) << failure;

  // Valid CRCs over an entry whose last sector precedes its first.
  Bytes disk = good;
  for (uint64_t lba : {uint64_t{1}, last}) {
    uint64_t entries = LoadLE<uint64_t>(&disk[lba * 512 + 72]);
    StoreLE<uint64_t>(&disk[entries * 512 + 128 + 40], 100);
    FixGptCrcs(disk, lba);
  }
  EXPECT_EQ(FailureOf(disk),
            "corrupt: GPT: partition 2 (sectors 18432..100) lies outside the usable sectors 2048..131038");

  // Two entries covering the same sectors.
  disk = good;
  for (uint64_t lba : {uint64_t{1}, last}) {
    uint64_t entries = LoadLE<uint64_t>(&disk[lba * 512 + 72]);
    std::copy_n(&disk[entries * 512], 128, &disk[entries * 512 + 3 * 128]);
    FixGptCrcs(disk, lba);
  }
  EXPECT_EQ(FailureOf(disk), "corrupt: GPT: partitions 1 and 4 overlap");
}

TEST_F(PartitionTableTest, HostileMbrIsCorrupt) {
  Bytes good = Make(kMbrScript);
  // Entry 3 is the extended partition; its first EBR links to the second.
  uint64_t ext_first = LoadLE<uint32_t>(&good[446 + 2 * 16 + 8]);
  uint64_t second_ebr = ext_first + LoadLE<uint32_t>(&good[ext_first * 512 + 446 + 16 + 8]);

  Bytes disk = good;
  StoreLE<uint32_t>(&disk[second_ebr * 512 + 446 + 16 + 8], 0);  // back to the first EBR
  EXPECT_EQ(FailureOf(disk), "corrupt: MBR: the EBR chain loops back to sector " + std::to_string(ext_first));

  disk = good;
  disk[second_ebr * 512 + 511] = 0;
  EXPECT_EQ(FailureOf(disk),
            "corrupt: MBR: EBR at sector " + std::to_string(second_ebr) + " lacks the 55 AA signature");

  disk = good;
  StoreLE<uint32_t>(&disk[446 + 12], 0xFFFFFFF0);  // partition 1 far beyond the disk
  EXPECT_EQ(FailureOf(disk),
            "corrupt: MBR: partition 1 (sectors 2048+4294967280) lies outside sectors [1, 131072)");

  disk = good;
  StoreLE<uint32_t>(&disk[446 + 16 + 8], 4096);  // partition 2 starts inside partition 1
  EXPECT_EQ(FailureOf(disk), "corrupt: MBR: partition 2 overlaps another primary partition");

  disk = good;
  StoreLE<uint32_t>(&disk[ext_first * 512 + 446 + 8], 0x7FFFFFFF);  // logical 5 outside the extended one
  EXPECT_NE(FailureOf(disk).find("corrupt: MBR: logical partition 5 of the EBR at sector"),
            std::string::npos);
}

// Random damage to real (small) tables: the parser returns or throws kCorrupt, nothing else.
TEST_F(PartitionTableTest, SurvivesRandomDamage) {
  std::mt19937 rng(7);
  for (const char* script : {"label: gpt\nsize=64KiB\nsize=64KiB, name=\"x\"\ntype=swap\n",
                             "label: dos\nsize=64KiB\ntype=5\nsize=64KiB\nsize=64KiB\nsize=64KiB\n"}) {
    expected_ = Sfdisk(tmp_ / "small", 2 * kMiB, std::string("first-lba: 34\n") + script);
    Bytes good = ReadFileBytes(tmp_ / "small");
    ASSERT_NO_THROW(ParsePartitionTable(good));
    uint64_t last = good.size() / 512 - 1;
    for (int round = 0; round < 2000; ++round) {
      Bytes disk = good;
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < flips; ++i) {
        // The first 512 KiB hold the MBR, the primary GPT and the EBRs; the end the backup.
        uint64_t at = rng() % 2 ? rng() % (512 << 10) : good.size() - 1 - rng() % 17408;
        disk[at] = static_cast<uint8_t>(rng());
      }
      if (round % 2) {
        FixGptCrcs(disk, 1);
        FixGptCrcs(disk, last);
      }
      try {
        ParsePartitionTable(disk);
      } catch (const Error& e) {
        ASSERT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace cairn::test
