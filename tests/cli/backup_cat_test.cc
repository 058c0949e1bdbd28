// End to end through the real binary: back up images, read them back, verify, list.
#include <nlohmann/json.hpp>

#include "core/util/hex.h"
#include "tests/cli/cli_fixture.h"

namespace cairn::test {
namespace {

using BackupCatTest = CliFixture;

std::string Sha(std::string_view data) { return ToHex(Sha256(AsBytes(data))); }
std::string Sha(ByteView data) { return ToHex(Sha256(data)); }

TEST_F(BackupCatTest, UnencryptedImageRoundTrip) {
  Bytes image = MixedImage(5, 12345, 1);
  Bytes conf = {'m', 'e', 'm', 'o', 'r', 'y', ':', ' ', '1', '\n'};
  std::string snapshot =
      BackupImage("100", "2024-05-01T10:00:00Z", image, {"qemu-server.conf=" + WriteInput("vm.conf", conf)});
  EXPECT_EQ(Sha(Cairn({"cat", store_, snapshot, "drive-scsi0.img"}).out), Sha(image));
  EXPECT_EQ(Sha(Cairn({"cat", store_, snapshot, "drive-scsi0.img.fidx"}).out), Sha(image));
  EXPECT_EQ(Cairn({"cat", store_, "vm/100/latest", "qemu-server.conf"}).out, "memory: 1\n");
  CommandResult verify = Cairn({"verify", store_});
  EXPECT_NE(verify.out.find("all OK"), std::string::npos) << verify.out;

  auto files = nlohmann::json::parse(Cairn({"ls", store_, snapshot, "--json"}).out);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0]["filename"], "drive-scsi0.img.fidx");
  EXPECT_EQ(files[0]["size"], image.size());
  EXPECT_EQ(files[1]["filename"], "qemu-server.conf.blob");
}

TEST_F(BackupCatTest, SmallChunkSizeAndSecondSnapshotDeduplicates) {
  Bytes image = MixedImage(2, 777, 2);
  std::string first = BackupImage("200", "2024-05-01T10:00:00Z", image, {"--chunk-size", "64K"});
  CommandResult second = Cairn({"backup", "image", store_, "--id", "200", "--backup-time", "2024-05-02T10:00:00Z",
                                "--json", "drive-scsi0.img=" + WriteInput("again", image), "--chunk-size", "64K"});
  auto stats = nlohmann::json::parse(second.out);
  EXPECT_EQ(stats["chunks"], (image.size() + 65535) / 65536);
  EXPECT_EQ(stats["duplicates"], stats["chunks"]);
  EXPECT_EQ(stats["compressed-size"], 0);
  EXPECT_EQ(Sha(Cairn({"cat", store_, "vm/200/2024-05-02T10:00:00Z", "drive-scsi0.img"}).out), Sha(image));
  auto snapshots = nlohmann::json::parse(Cairn({"ls", store_, "vm/200", "--json"}).out);
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(snapshots[0]["backup-time"], 1714557600);
  // A backup time not after the newest snapshot is refused.
  Cairn({"backup", "image", store_, "--id", "200", "--backup-time", "2024-05-02T10:00:00Z",
         "drive-scsi0.img=" + WriteInput("x", image)}, 2);
}

TEST_F(BackupCatTest, EncryptedImageNeedsTheKey) {
  std::string key = (tmp_ / "key.json").string();
  std::vector<std::string> pw = {"PBS_ENCRYPTION_PASSWORD=correct horse"};
  Cairn({"key", "create", key}, 0, pw);
  Bytes image = MixedImage(4, 4096, 3);
  std::string path = WriteInput("secret", image);
  Cairn({"backup", "image", store_, "--ns", "prod/web", "--id", "300", "--backup-time", "2024-06-01T00:00:00Z",
         "--keyfile", key, "drive-scsi0.img=" + path, "qemu-server.conf=" + WriteInput("c", AsBytes("secret: yes\n"))},
        0, pw);
  std::string snapshot = "ns/prod/ns/web/vm/300/2024-06-01T00:00:00Z";
  EXPECT_EQ(Sha(Cairn({"cat", store_, snapshot, "drive-scsi0.img", "--keyfile", key}, 0, pw).out), Sha(image));
  EXPECT_EQ(Cairn({"cat", store_, snapshot, "qemu-server.conf", "--keyfile", key}, 0, pw).out, "secret: yes\n");

  // Without the key: listed, but data is refused with a key error.
  auto listing = nlohmann::json::parse(Cairn({"ls", store_, "ns/prod/ns/web/vm/300", "--json"}).out);
  EXPECT_EQ(listing[0]["encrypted"], true);
  CommandResult no_key = Cairn({"cat", store_, snapshot, "drive-scsi0.img"}, 5);
  EXPECT_NE(no_key.err.find("encrypted"), std::string::npos) << no_key.err;
  // A wrong password and a different key are both key errors.
  Cairn({"cat", store_, snapshot, "drive-scsi0.img", "--keyfile", key}, 5, {"PBS_ENCRYPTION_PASSWORD=wrong one"});
  std::string other = (tmp_ / "other.json").string();
  Cairn({"key", "create", other, "--kdf", "none"});
  CommandResult wrong = Cairn({"cat", store_, snapshot, "drive-scsi0.img", "--keyfile", other}, 5);
  EXPECT_NE(wrong.err.find("wrong key"), std::string::npos) << wrong.err;
  // Verify without a key checks CRCs only, with the key everything.
  Cairn({"verify", store_});
  Cairn({"verify", store_, "--keyfile", key}, 0, pw);
  EXPECT_EQ(nlohmann::json::parse(Cairn({"key", "show", key, "--json"}).out)["kdf"], "scrypt");
}

TEST_F(BackupCatTest, CorruptAndMissingChunksAreReported) {
  Bytes image = MixedImage(3, 0, 4);
  std::string snapshot = BackupImage("400", "2024-05-01T10:00:00Z", image);
  // Chunk 2 is random data; find its file through the index.
  std::string chunk_hex;
  {
    Bytes fidx = ReadFileBytes(std::filesystem::path(store_) / snapshot / "drive-scsi0.img.fidx");
    chunk_hex = ToHex(ByteView(fidx).subspan(4096 + 2 * 32, 32));
  }
  std::filesystem::path chunk = std::filesystem::path(store_) / ".chunks" / chunk_hex.substr(0, 4) / chunk_hex;
  Bytes original = ReadFileBytes(chunk);
  Bytes damaged = original;
  damaged[damaged.size() / 2] ^= 0x55;
  WriteFileBytes(chunk, damaged);

  CommandResult verify = Cairn({"verify", store_, "--json"}, 1);
  auto report = nlohmann::json::parse(verify.out);
  EXPECT_EQ(report["ok"], false);
  ASSERT_EQ(report["bad-chunks"].size(), 1u);
  EXPECT_EQ(report["bad-chunks"][0]["digest"], chunk_hex);
  EXPECT_EQ(report["bad-chunks"][0]["affected"][0], snapshot + "/drive-scsi0.img.fidx");
  EXPECT_EQ(report["failed-snapshots"][0], snapshot);
  // One chunk at a time (and a budget too small for more) finds the same damage.
  CommandResult serial = Cairn({"verify", store_, "--json", "--readahead", "0", "--cache-size", "1M"}, 1);
  EXPECT_EQ(nlohmann::json::parse(serial.out)["bad-chunks"], report["bad-chunks"]);
  CommandResult cat = Cairn({"cat", store_, snapshot, "drive-scsi0.img"}, 4);
  EXPECT_NE(cat.err.find(chunk_hex), std::string::npos) << cat.err;
  EXPECT_NE(cat.err.find("offset 8388608"), std::string::npos) << cat.err;

  std::filesystem::remove(chunk);
  CommandResult missing = Cairn({"verify", store_}, 1);
  EXPECT_NE(missing.out.find("BAD CHUNK " + chunk_hex + ": chunk " + chunk_hex + " is missing"), std::string::npos)
      << missing.out;
  Cairn({"cat", store_, snapshot, "drive-scsi0.img"}, 3);
  // A zero-length chunk file is an S3 cache marker: "not present here", not corruption.
  WriteFileBytes(chunk, {});
  CommandResult marker = Cairn({"cat", store_, snapshot, "drive-scsi0.img"}, 3);
  EXPECT_NE(marker.err.find("S3 cache marker"), std::string::npos) << marker.err;
}

TEST_F(BackupCatTest, DamagedIndexAndManifestAreNamed) {
  Bytes image = MixedImage(1, 100, 5);
  std::string snapshot = BackupImage("500", "2024-05-01T10:00:00Z", image);
  std::filesystem::path dir = std::filesystem::path(store_) / snapshot;
  Bytes fidx = ReadFileBytes(dir / "drive-scsi0.img.fidx");
  WriteFileBytes(dir / "drive-scsi0.img.fidx", ByteView(fidx).first(fidx.size() - 7));
  CommandResult cat = Cairn({"cat", store_, snapshot, "drive-scsi0.img"}, 4);
  EXPECT_NE(cat.err.find((dir / "drive-scsi0.img.fidx").string()), std::string::npos) << cat.err;
  CommandResult verify = Cairn({"verify", store_}, 1);
  EXPECT_NE(verify.out.find("drive-scsi0.img.fidx"), std::string::npos) << verify.out;

  WriteFileBytes(dir / "index.json.blob", AsBytes("garbage"));
  CommandResult ls = Cairn({"ls", store_, "vm/500"});
  EXPECT_NE(ls.out.find("ERROR"), std::string::npos) << ls.out;
  Cairn({"cat", store_, snapshot, "drive-scsi0.img"}, 4);
}

TEST_F(BackupCatTest, UsageErrorsAndNotFound) {
  Cairn({"ls", (tmp_ / "nowhere").string()}, 3);
  Cairn({"ls", store_, "vm/999/2024-01-01T00:00:00Z"}, 3);
  Cairn({"ls", store_, "vx/1"}, 2);
  Cairn({"cat", store_, "vm/1"}, 2);
  Cairn({"backup", "image", store_, "--id", "1", "nonsense"}, 2);
  Cairn({"bogus-command"}, 2);
  EXPECT_NE(Cairn({"--help"}).out.find("Exit codes"), std::string::npos);
  EXPECT_NE(Cairn({"verify", "--help"}).out.find("--keyfile"), std::string::npos);
}

TEST_F(BackupCatTest, DatastoreByPbsName) {
  WriteFileBytes(tmp_ / "datastore.cfg", AsBytes("datastore: store1\n\tpath " + store_ + "\n\tgc-schedule daily\n\n"
                                                 "datastore: gone\n\tpath /x\n\tmaintenance-mode type=offline\n"));
  BackupImage("600", "2024-05-01T10:00:00Z", MixedImage(1, 0, 6));
  EXPECT_NE(Cairn({"ls", "store1"}).out.find("vm/600"), std::string::npos);
  Cairn({"ls", "gone"}, 8);
  // PBS's lock file for the snapshot is taken (new locking scheme) while reading.
  Cairn({"cat", "store1", "vm/600/latest", "drive-scsi0.img"});
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "run" / "locks" / "store1" / "vm-600-2024\\x2d05\\x2d01T10\\x3a00\\x3a00Z"));
}

}  // namespace
}  // namespace cairn::test
