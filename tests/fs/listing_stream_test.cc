// The streamed index.json without FUSE: sizes, checkpoints and resuming at any offset, over
// a datastore whose manifests are written directly (thousands of snapshots in a second).
#include "fs/listing_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "core/format/blob.h"
#include "core/format/manifest.h"
#include "core/store/snapshot_reader.h"
#include "core/util/file.h"
#include "tests/test_support.h"

namespace cairn::fs {
namespace {

// Writes a finished snapshot with a one-file manifest; no chunks (listings do not read them).
void WriteSnapshot(const std::filesystem::path& root, const Snapshot& snapshot) {
  std::filesystem::path dir = root / snapshot.RelativePath();
  std::filesystem::create_directories(dir);
  Manifest manifest(std::string(BackupTypeName(snapshot.group.type)), snapshot.group.id, snapshot.time);
  manifest.mutable_files().push_back(ManifestFile{"drive-scsi0.img.fidx", CryptMode::kNone, 4u << 20, {}});
  std::string json = manifest.ToJson();
  test::WriteFileBytes(dir / kManifestBlobName, EncodeBlob(AsBytes(json), nullptr, true));
}

std::string Produce(ListingStream& stream, size_t length) {
  std::string out(length, '\0');
  size_t n = stream.Produce(std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), length));
  out.resize(n);
  return out;
}

class ListingStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(tmp_.path() / ".chunks");
    // Groups in the root namespace, in a child and in a grandchild namespace.
    for (const char* ns : {"", "a", "a/b", "c"}) {
      for (int g = 0; g < 5; ++g) {
        BackupGroup group{ParseNamespaceName(ns), g % 2 ? BackupType::kCt : BackupType::kVm, std::to_string(100 + g)};
        for (int s = 0; s < 150; ++s) WriteSnapshot(tmp_.path(), Snapshot{group, 1700000000 + s * 3600});
      }
    }
  }

  test::TempDir tmp_;
};

TEST_F(ListingStreamTest, MeasureMatchesContentAndResumesAnywhere) {
  Datastore datastore = Datastore::Open(tmp_.path().string());
  ListingScope scope{BackupNamespace{}, std::nullopt};
  ListingLayout layout = ListingLayout::Measure(datastore, scope);
  ListingStream whole_stream(datastore, scope, ListingCheckpoint{});
  std::string whole = Produce(whole_stream, layout.size + 100);
  ASSERT_EQ(whole.size(), layout.size);
  EXPECT_GT(layout.checkpoints.size(), 3u);

  nlohmann::json list = nlohmann::json::parse(whole);
  ASSERT_EQ(list.size(), 4u * 5 * 150);
  // Root namespace first (ct before vm), then a, a/b, c depth first.
  EXPECT_EQ(list[0]["backup-type"], "ct");
  EXPECT_FALSE(list[0].contains("ns"));
  EXPECT_EQ(list[750]["ns"], "a");
  EXPECT_EQ(list[1500]["ns"], "a/b");
  EXPECT_EQ(list[2250]["ns"], "c");

  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    uint64_t offset = rng() % layout.size;
    const ListingCheckpoint& from = layout.CheckpointBefore(offset);
    ASSERT_LE(from.offset, offset);
    ListingStream stream(datastore, scope, from);
    stream.Skip(offset - from.offset);
    EXPECT_EQ(Produce(stream, 5000), whole.substr(offset, 5000)) << offset;
  }
}

TEST_F(ListingStreamTest, GroupAndNamespaceScopes) {
  Datastore datastore = Datastore::Open(tmp_.path().string());
  BackupGroup group{ParseNamespaceName("a"), BackupType::kVm, "102"};
  ListingScope group_scope{group.ns, group};
  ListingStream stream(datastore, group_scope, ListingCheckpoint{});
  nlohmann::json list = nlohmann::json::parse(Produce(stream, 1 << 20));
  ASSERT_EQ(list.size(), 150u);
  EXPECT_EQ(list[149]["backup-time"], 1700000000 + 149 * 3600);

  ListingScope ns_scope{ParseNamespaceName("a"), std::nullopt};
  ListingStream ns_stream(datastore, ns_scope, ListingCheckpoint{});
  EXPECT_EQ(nlohmann::json::parse(Produce(ns_stream, 4 << 20)).size(), 2u * 5 * 150);

  test::TempDir empty;
  std::filesystem::create_directories(empty.path() / ".chunks");
  Datastore none = Datastore::Open(empty.path().string());
  ListingStream empty_stream(none, ListingScope{}, ListingCheckpoint{});
  EXPECT_EQ(Produce(empty_stream, 100), "[]\n");
  EXPECT_EQ(ListingLayout::Measure(none, ListingScope{}).size, 3u);
}

}  // namespace
}  // namespace cairn::fs
