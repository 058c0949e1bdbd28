// `cairn backup dir` end to end: the archive and catalog it writes decode to the source
// tree, a second backup of the same tree deduplicates every chunk, exclusions apply.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/format/catalog.h"
#include "core/format/chunker.h"
#include "core/format/dynamic_index.h"
#include "core/pxar/accessor.h"
#include "tests/cli/cli_fixture.h"
#include "tests/pxar/memory_source.h"

namespace cairn::test {
namespace {

class BackupDirTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    src_ = tmp_ / "src";
    std::filesystem::create_directories(src_ / "etc/sub");
    WriteFileBytes(src_ / "etc/hosts", AsBytes("127.0.0.1 localhost\n"));
    WriteFileBytes(src_ / "empty", {});
    Bytes big(20 << 20);
    std::mt19937 rng(5);
    for (auto& b : big) b = static_cast<uint8_t>(rng());
    WriteFileBytes(src_ / "big.bin", big);
    std::filesystem::create_symlink("etc/hosts", src_ / "link");
    std::filesystem::create_hard_link(src_ / "etc/hosts", src_ / "etc/sub/hosts-again");
    ASSERT_EQ(::mkfifo((src_ / "fifo").c_str(), 0640), 0);
    ASSERT_EQ(::mknod((src_ / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(::setxattr((src_ / "etc/hosts").c_str(), "user.note", "v1", 2, 0), 0);
  }

  // The decoded archive `name` of `snapshot`.
  Bytes CatArchive(const std::string& snapshot, const std::string& name) {
    std::string out = Cairn({"cat", store_, snapshot, name}).out;
    return Bytes(out.begin(), out.end());
  }

  std::filesystem::path src_;
};

TEST_F(BackupDirTest, ArchiveAndCatalogDescribeTheTree) {
  CommandResult r = Cairn({"backup", "dir", store_, "--id", "web", "--backup-time", "2024-05-01T10:00:00Z",
                           "root=" + src_.string()});
  EXPECT_EQ(r.out, "host/web/2024-05-01T10:00:00Z\n");
  const std::string snapshot = "host/web/2024-05-01T10:00:00Z";
  auto files = nlohmann::json::parse(Cairn({"ls", store_, snapshot, "--json"}).out);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0]["filename"], "root.pxar.didx");
  EXPECT_EQ(files[1]["filename"], "catalog.pcat1.didx");

  MemorySource source(CatArchive(snapshot, "root.pxar"));
  pxar::Accessor acc(source, nullptr, "root.pxar");
  std::vector<std::string> names;
  for (const pxar::Entry& e : acc.List(acc.Root())) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"big.bin", "empty", "etc", "fifo", "link", "null"}));
  std::optional<pxar::Entry> hosts = acc.LookupPath("etc/hosts");
  ASSERT_TRUE(hosts);
  EXPECT_EQ(hosts->meta.xattrs, (std::vector<pxar::Xattr>{{"user.note", "v1"}}));
  struct stat st;
  ASSERT_EQ(::stat((src_ / "etc/hosts").c_str(), &st), 0);
  EXPECT_EQ(hosts->meta.stat.mtime_secs, st.st_mtim.tv_sec);
  EXPECT_EQ(hosts->meta.stat.mtime_nanos, static_cast<uint32_t>(st.st_mtim.tv_nsec));
  std::optional<pxar::Entry> again = acc.LookupPath("etc/sub/hosts-again");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->hardlink_path, "etc/hosts");
  EXPECT_EQ(again->entry_start, hosts->entry_start);
  EXPECT_EQ(acc.LookupPath("link")->link_target, "etc/hosts");
  EXPECT_EQ(acc.LookupPath("fifo")->kind, pxar::EntryKind::kFifo);
  EXPECT_EQ(acc.LookupPath("null")->dev_minor, 3u);
  std::optional<pxar::Entry> big = acc.LookupPath("big.bin");
  Bytes content(big->file_size);
  acc.ReadFile(*big, 0, content);
  EXPECT_EQ(content, ReadFileBytes(src_ / "big.bin"));

  Catalog catalog = Catalog::Parse(CatArchive(snapshot, "catalog.pcat1"));
  std::vector<CatalogEntry> root = catalog.ReadDirectory(catalog.root_offset());
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].name, "root.pxar.didx");
  std::vector<CatalogEntry> top = catalog.ReadDirectory(root[0].block_offset);
  ASSERT_EQ(top.size(), 6u);
  EXPECT_EQ(top[0].name, "big.bin");
  EXPECT_EQ(top[0].size, 20u << 20);
  EXPECT_EQ(top[2].type, CatalogEntryType::kDirectory);
  EXPECT_EQ(top[5].type, CatalogEntryType::kCharDevice);
  EXPECT_NE(Cairn({"verify", store_}).out.find("all OK"), std::string::npos);
}

TEST_F(BackupDirTest, SecondBackupOfTheSameTreeReusesEveryChunk) {
  Cairn({"backup", "dir", store_, "--type", "ct", "--id", "101", "--backup-time", "2024-05-01T10:00:00Z",
         "root.pxar=" + src_.string()});
  auto first = nlohmann::json::parse(Cairn({"backup", "dir", store_, "--type", "ct", "--id", "101", "--backup-time",
                                            "2024-05-01T11:00:00Z", "--json", "root.pxar=" + src_.string()})
                                         .out);
  EXPECT_GE(first["chunks"].get<int>(), 4);  // 20 MiB of random data: several 4 MiB-average chunks
  EXPECT_EQ(first["duplicates"], first["chunks"]);
  EXPECT_EQ(first["compressed-size"], 0);
  EXPECT_EQ(CatArchive("ct/101/2024-05-01T10:00:00Z", "root.pxar.didx"),
            CatArchive("ct/101/2024-05-01T11:00:00Z", "root.pxar.didx"));
}

// Split archives cut a payload chunk at each file start where the chunk has the chunker's
// minimum size (as PBS's payload chunker does), so after one file changed (and grew, moving
// everything after it) the other files' contents are still in chunks the first backup stored.
TEST_F(BackupDirTest, SplitPayloadChunksStartAtFilesAndDeduplicate) {
  const std::filesystem::path tree = tmp_ / "files";
  std::filesystem::create_directory(tree);
  std::mt19937 rng(9);
  for (int i = 0; i < 6; ++i) {
    Bytes data((3 << 19) + static_cast<size_t>(i) * 4099);  // 1.5 MiB and a bit: over the 1 MiB minimum
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    WriteFileBytes(tree / ("f" + std::to_string(i)), data);
  }
  const std::string first = "host/split/2024-05-01T10:00:00Z", second = "host/split/2024-05-01T11:00:00Z";
  Cairn({"backup", "dir", store_, "--id", "split", "--backup-time", "2024-05-01T10:00:00Z", "--split",
         "root.pxar=" + tree.string()});
  Bytes changed = ReadFileBytes(tree / "f2");
  changed[700000] ^= 1;
  changed.insert(changed.end(), 100, 'x');
  WriteFileBytes(tree / "f2", changed);
  Cairn({"backup", "dir", store_, "--id", "split", "--backup-time", "2024-05-01T11:00:00Z", "--split",
         "root.pxar=" + tree.string()});

  DynamicIndex before = DynamicIndex::Open(std::filesystem::path(store_) / first / "root.ppxar.didx");
  DynamicIndex after = DynamicIndex::Open(std::filesystem::path(store_) / second / "root.ppxar.didx");
  MemorySource meta(CatArchive(second, "root.mpxar")), payload(CatArchive(second, "root.ppxar"));
  pxar::Accessor acc(meta, &payload, "root.pxar");
  std::optional<pxar::Entry> f2 = acc.LookupPath("f2");
  ASSERT_TRUE(f2);
  const uint64_t f2_begin = f2->content_offset - 16, f2_end = f2->content_offset + f2->file_size;
  // A chunk starts at every file's PAYLOAD header unless the chunk before would be shorter
  // than the minimum (1 MiB; the first file follows the 16-byte start marker).
  size_t cut_at_file = 0;
  for (int i = 0; i < 6; ++i) {
    std::optional<pxar::Entry> f = acc.LookupPath("f" + std::to_string(i));
    ASSERT_TRUE(f);
    const uint64_t header = f->content_offset - 16;
    const uint64_t chunk_start = after.chunk_offset(after.ChunkIndexAt(header));
    if (chunk_start == header) {
      ++cut_at_file;
    } else {
      EXPECT_LT(header - chunk_start, Chunker(Chunker::kDefaultAverage).min_size()) << "f" << i;
    }
  }
  EXPECT_GE(cut_at_file, 3u);
  std::set<Digest> stored;
  for (size_t k = 0; k < before.chunk_count(); ++k) stored.insert(before.digest(k));
  size_t fresh = 0;
  for (size_t k = 0; k < after.chunk_count(); ++k) {
    if (stored.count(after.digest(k))) continue;
    ++fresh;
    EXPECT_LT(after.chunk_offset(k), f2_end) << "new chunk " << k << " holds no byte of f2";
    EXPECT_GT(after.chunk_end(k), f2_begin) << "new chunk " << k << " holds no byte of f2";
  }
  EXPECT_GE(fresh, 1u);
}

TEST_F(BackupDirTest, ExcludePatternsAndPxarexcludeFiles) {
  WriteFileBytes(src_ / "etc/app.log", AsBytes("x"));
  WriteFileBytes(src_ / "etc/.pxarexclude", AsBytes("sub/\n# comment\n"));
  Cairn({"backup", "dir", store_, "--id", "x", "--backup-time", "2024-05-01T10:00:00Z", "--exclude", "*.log",
         "--exclude", "/big.bin", "root=" + src_.string()});
  MemorySource source(CatArchive("host/x/2024-05-01T10:00:00Z", "root.pxar"));
  pxar::Accessor acc(source, nullptr, "root.pxar");
  EXPECT_FALSE(acc.LookupPath("big.bin"));
  EXPECT_FALSE(acc.LookupPath("etc/app.log"));
  EXPECT_FALSE(acc.LookupPath("etc/sub"));
  EXPECT_TRUE(acc.LookupPath("etc/hosts"));
  EXPECT_TRUE(acc.LookupPath("etc/.pxarexclude"));
  std::optional<pxar::Entry> cli = acc.LookupPath(".pxarexclude-cli");
  ASSERT_TRUE(cli);
  Bytes text(cli->file_size);
  acc.ReadFile(*cli, 0, text);
  EXPECT_EQ(AsChars(text), "*.log\n/big.bin\n");
}

TEST_F(BackupDirTest, EncryptedBackupNeedsTheKey) {
  std::string key = (tmp_ / "key.json").string();
  std::vector<std::string> pw = {"PBS_ENCRYPTION_PASSWORD=correct horse"};
  Cairn({"key", "create", key}, 0, pw);
  Cairn({"backup", "dir", store_, "--id", "enc", "--backup-time", "2024-05-01T10:00:00Z", "--keyfile", key,
         "root=" + src_.string()}, 0, pw);
  std::string out = Cairn({"cat", store_, "host/enc/2024-05-01T10:00:00Z", "root.pxar", "--keyfile", key}, 0, pw).out;
  MemorySource source(Bytes(out.begin(), out.end()));
  pxar::Accessor acc(source, nullptr, "root.pxar");
  EXPECT_TRUE(acc.LookupPath("etc/hosts"));
  Cairn({"cat", store_, "host/enc/2024-05-01T10:00:00Z", "root.pxar"}, 5);
}

}  // namespace
}  // namespace cairn::test
