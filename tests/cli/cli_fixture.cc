#include "tests/cli/cli_fixture.h"

#include <random>

#include "core/util/hex.h"

namespace cairn::test {

Bytes MixedImage(size_t chunks, size_t tail, uint32_t seed) {
  constexpr size_t kChunk = 4 << 20;
  Bytes image(chunks * kChunk + tail, 0);
  std::mt19937 rng(seed);
  for (size_t c = 0; c < chunks; ++c) {
    uint8_t* p = image.data() + c * kChunk;
    switch (c % 3) {
      case 0: break;  // zeros
      case 1:
        for (size_t i = 0; i < kChunk; ++i) p[i] = static_cast<uint8_t>("lorem ipsum dolor sit amet "[i % 27] + c);
        break;
      case 2:
        for (size_t i = 0; i < kChunk; i += 4) {
          uint32_t v = rng();
          std::memcpy(p + i, &v, 4);
        }
        break;
    }
  }
  for (size_t i = chunks * kChunk; i < image.size(); ++i) image[i] = static_cast<uint8_t>(rng());
  return image;
}

std::filesystem::path ChunkFile(const std::filesystem::path& store, const Digest& digest) {
  std::string hex = ToHex(digest);
  return store / ".chunks" / hex.substr(0, 4) / hex;
}

void CliFixture::SetUp() {
  store_ = (tmp_ / "store").string();
  env_ = {"CAIRN_PBS_DATASTORE_CFG=" + (tmp_ / "datastore.cfg").string(), "CAIRN_PBS_RUN_DIR=" + (tmp_ / "run").string()};
  Cairn({"init", store_});
}

CommandResult CliFixture::Cairn(const std::vector<std::string>& args, int expected_exit,
                                const std::vector<std::string>& env) {
  std::vector<std::string> all_env = env_;
  all_env.insert(all_env.end(), env.begin(), env.end());
  CommandResult r = RunCairn(args, all_env);
  std::string cmd;
  for (const auto& a : args) cmd += " " + a;
  EXPECT_EQ(r.exit_code, expected_exit) << "cairn" << cmd << "\nstderr: " << r.err;
  return r;
}

std::string CliFixture::WriteInput(const std::string& name, ByteView data) {
  std::string path = (tmp_ / name).string();
  WriteFileBytes(path, data);
  return path;
}

std::string CliFixture::BackupImage(const std::string& id, const std::string& time, ByteView image,
                                    const std::vector<std::string>& extra) {
  std::string path = WriteInput("image-" + id, image);
  std::vector<std::string> args = {"backup", "image", store_, "--id", id, "--backup-time", time,
                                   "drive-scsi0.img=" + path};
  args.insert(args.end(), extra.begin(), extra.end());
  CommandResult r = Cairn(args);
  std::string snapshot = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(snapshot, "vm/" + id + "/" + time);
  return snapshot;
}

}  // namespace cairn::test
