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

Manifest OneFileManifest(const Snapshot& snapshot) {
  Manifest manifest(std::string(BackupTypeName(snapshot.group.type)), snapshot.group.id, snapshot.time);
  manifest.mutable_files().push_back(ManifestFile{"drive-scsi0.img.fidx", CryptMode::kNone, 4u << 20, {}});
  return manifest;
}

// Writes a finished snapshot; no chunks (listings do not read them).
void WriteSnapshot(const std::filesystem::path& root, const Snapshot& snapshot,
                   const Manifest& manifest) {
  std::filesystem::path dir = root / snapshot.RelativePath();
  std::filesystem::create_directories(dir);
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
        for (int s = 0; s < 150; ++s) {
          Snapshot snapshot{group, 1700000000 + s * 3600};
          WriteSnapshot(tmp_.path(), snapshot, OneFileManifest(snapshot));
        }
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

TEST_F(ListingStreamTest, ManifestsReadOnAPoolGiveTheSameDocument) {
  Datastore datastore = Datastore::Open(tmp_.path().string());
  ListingScope scope{BackupNamespace{}, std::nullopt};
  ListingLayout inline_layout = ListingLayout::Measure(datastore, scope);
  ThreadPool readers(4);
  ListingLayout pooled_layout = ListingLayout::Measure(datastore, scope, &readers);
  EXPECT_EQ(pooled_layout.size, inline_layout.size);
  ASSERT_EQ(pooled_layout.checkpoints.size(), inline_layout.checkpoints.size());
  for (size_t i = 0; i < inline_layout.checkpoints.size(); ++i) {
    EXPECT_EQ(pooled_layout.checkpoints[i].offset, inline_layout.checkpoints[i].offset);
    EXPECT_EQ(pooled_layout.checkpoints[i].after, inline_layout.checkpoints[i].after);
  }
  ListingStream inline_stream(datastore, scope, ListingCheckpoint{});
  ListingStream pooled_stream(datastore, scope, ListingCheckpoint{}, &readers);
  EXPECT_EQ(Produce(pooled_stream, inline_layout.size + 1), Produce(inline_stream, inline_layout.size + 1));
  // A stream dropped with renders still pending leaves nothing behind.
  ListingStream dropped(datastore, scope, ListingCheckpoint{}, &readers);
  EXPECT_EQ(Produce(dropped, 10).size(), 10u);
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

// Every optional field, text that needs escaping, an unfinished snapshot and a damaged one:
// the hand-written line must be exactly what a JSON library writes for the same object.
TEST_F(ListingStreamTest, ItemsCarryEveryFactExactly) {
  test::TempDir tmp;
  std::filesystem::create_directories(tmp.path() / ".chunks");
  BackupGroup group{ParseNamespaceName("x/y"), BackupType::kHost, "web"};
  Snapshot full{group, 1714557600};
  Manifest manifest(std::string("host"), "web", full.time);
  manifest.mutable_files().push_back(ManifestFile{"root.pxar.didx", CryptMode::kEncrypt, 123456789012, {}});
  manifest.mutable_files().push_back(ManifestFile{"catalog.pcat1.didx", CryptMode::kEncrypt, 40, {}});
  manifest.mutable_unprotected()["notes"] = "first \"line\"\t\\ \x01 \u00e9t\u00e9\nsecond line";
  manifest.mutable_unprotected()["key-fingerprint"] = "00:07:0e:15:1c:23:2a:31:38:3f:46:4d:54:5b:62:69:70:77:7e:85:8c:93:9a:a1:a8:af:b6:bd:c4:cb:d2:d9";
  manifest.set_verify_state(SnapshotVerifyState{VerifyState::kFailed, "UPID:pbs:0000:verify:"});
  WriteSnapshot(tmp.path(), full, manifest);
  test::WriteFileBytes(tmp.path() / full.RelativePath() / ".protected", {});
  test::WriteFileBytes(tmp.path() / group.RelativePath() / "owner", AsBytes(std::string_view("us\xff" "er@pbs \n")));
  Snapshot unfinished{group, full.time + 60};
  std::filesystem::create_directories(tmp.path() / unfinished.RelativePath());
  Snapshot damaged{group, full.time + 120};
  std::filesystem::create_directories(tmp.path() / damaged.RelativePath());
  test::WriteFileBytes(tmp.path() / damaged.RelativePath() / kManifestBlobName, AsBytes(std::string_view("garbage")));

  Datastore datastore = Datastore::Open(tmp.path().string());
  ListingStream stream(datastore, ListingScope{}, ListingCheckpoint{});
  std::string text = Produce(stream, 1 << 20);
  nlohmann::json list = nlohmann::json::parse(text);
  ASSERT_EQ(list.size(), 2u) << text;
  EXPECT_EQ(text, "[\n" + list[0].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ",\n" +
                      list[1].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n]\n");
  nlohmann::json expected = {
      {"backup-id", "web"},
      {"backup-time", 1714557600},
      {"backup-type", "host"},
      {"comment", "first \"line\"\t\\ \x01 \u00e9t\u00e9"},
      {"files",
       {{{"crypt-mode", "encrypt"}, {"filename", "root.pxar.didx"}, {"size", 123456789012}},
        {{"crypt-mode", "encrypt"}, {"filename", "catalog.pcat1.didx"}, {"size", 40}}}},
      {"fingerprint", "00:07:0e:15:1c:23:2a:31:38:3f:46:4d:54:5b:62:69:70:77:7e:85:8c:93:9a:a1:a8:af:b6:bd:c4:cb:d2:d9"},
      {"ns", "x/y"},
      {"owner", "us\xef\xbf\xbd" "er@pbs"},
      {"protected", true},
      {"size", 123456789052},
      {"verification", {{"state", "failed"}, {"upid", "UPID:pbs:0000:verify:"}}}};
  EXPECT_EQ(list[0], expected);
  EXPECT_EQ(list[1]["backup-time"], damaged.time);
  EXPECT_EQ(list[1]["ns"], "x/y");
  EXPECT_NE(list[1]["error"].get<std::string>().find((tmp.path() / damaged.RelativePath() / kManifestBlobName).string()),
            std::string::npos)
      << list[1]["error"];
  EXPECT_EQ(ListingLayout::Measure(datastore, ListingScope{}).size, text.size());
}

}  // namespace
}  // namespace cairn::fs
