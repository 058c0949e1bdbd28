#include "core/crypto/crypt_config.h"

#include <gtest/gtest.h>

#include "core/util/hex.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

TEST(CryptConfigTest, SequentialKeyVectors) {  // spec §10.1
  CryptConfig config(test::SequentialKey());
  EXPECT_EQ(ToHex(config.id_key()), "7c2c013efd07f3b25717a485263343cd4d292a4b65c200bb3b18ea227abe225c");
  EXPECT_EQ(FingerprintFull(config.fingerprint()),
            "0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b");
  EXPECT_EQ(FingerprintShort(config.fingerprint()), "0e:ab:d4:46:0b:6e:b9:ca");
}

TEST(CryptConfigTest, NinesKeyFingerprint) {
  AesKey key;
  key.fill(0x09);
  EXPECT_EQ(FingerprintFull(CryptConfig(key).fingerprint()),
            "1a:c8:2c:72:fb:bb:62:06:ec:15:89:77:f8:f9:e8:74:3f:be:4f:78:3f:31:4f:45:c8:2f:a0:87:f9:b5:cd:8a");
}

TEST(CryptConfigTest, ManifestTestKeyVectors) {
  Bytes raw = test::Hex("28cdb1a3bef39396c3860e00d448fe7a0efd8244486ab6feb30457681d31597e");
  AesKey key;
  std::copy(raw.begin(), raw.end(), key.begin());
  CryptConfig config(key);
  EXPECT_EQ(ToHex(config.id_key()), "758495a21c31047f543f46d694700e02d168568bab37bb0ceece947b591f5100");
  EXPECT_EQ(FingerprintFull(config.fingerprint()),
            "12:b9:b7:74:bb:3d:89:95:2b:97:cb:c2:82:f0:0c:14:2b:83:ba:7f:96:62:6a:a1:5a:44:9a:63:e8:91:fe:25");
}

TEST(CryptConfigTest, KeyedDigestVector) {  // spec §10.3
  Bytes data(100000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 255);
  EXPECT_EQ(ToHex(Sha256(data)), "539a60c3a7cc268ecce082c9184702bc829bb106a2643dee26db3ff0bf8457ee");
  AesKey ones;
  ones.fill(0x01);
  EXPECT_EQ(ToHex(CryptConfig(ones).KeyedDigest(data)),
            "32a2bf5dff84090e7f175c27f666f5cc8268046ab6efda0e501196bceffdc675");
}

TEST(CryptConfigTest, ZeroChunkKeyedDigest) {
  Bytes zeros(4 << 20, 0);
  EXPECT_EQ(ToHex(CryptConfig(test::SequentialKey()).KeyedDigest(zeros)),
            "348571e12bbbedb529def1f1394316e338a01945d871df9ef792617ceb13d636");
}

TEST(CryptConfigTest, ParseFingerprint) {
  CryptConfig config(test::SequentialKey());
  EXPECT_EQ(ParseFingerprint(FingerprintFull(config.fingerprint())), config.fingerprint());
  EXPECT_EQ(ParseFingerprint(ToHex(config.fingerprint())), config.fingerprint());
  EXPECT_FALSE(ParseFingerprint("0e:ab"));
  EXPECT_FALSE(ParseFingerprint("zz" + ToHex(config.fingerprint()).substr(2)));
}

}  // namespace
}  // namespace cairn
