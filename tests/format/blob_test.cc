#include "core/format/blob.h"

#include <gtest/gtest.h>

#include "core/util/error.h"
#include "core/util/hex.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

const Bytes kHello = Bytes{'H', 'e', 'l', 'l', 'o', ',', ' ', 'P', 'B', 'S', '!', '\n'};

ErrorKind DecodeErrorKind(ByteView raw, const CryptConfig* crypt) {
  try {
    DecodeBlob(raw, crypt);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "decode succeeded";
  return ErrorKind::kIo;
}

TEST(BlobTest, VectorB1Uncompressed) {
  Bytes raw = test::Hex("42ab3807be8370a1 | f57c7110 | 48656c6c6f2c20504253210a");
  EXPECT_EQ(ToHex(Sha256(raw)), "fbe072845ee198330acc205555574c1c891cb77eb7e19723aac8db727c07beb2");
  BlobView view = ParseBlob(raw);
  EXPECT_EQ(view.kind, BlobKind::kPlain);
  EXPECT_EQ(view.stored_crc, 0x10717cf5u);
  EXPECT_EQ(DecodeBlob(raw, nullptr), kHello);
  Digest d = Sha256(kHello);
  EXPECT_EQ(ToHex(d), "ad9e585b3579b598603b2f6fa2036169ed62326b581d3cd5f15dddf7a001cde3");
  EXPECT_EQ(DecodeChunk(raw, d, kHello.size(), nullptr), kHello);
  // The encoder produces exactly this when compression does not help.
  EXPECT_EQ(EncodeBlob(kHello, nullptr, false), raw);
}

TEST(BlobTest, VectorB2Encrypted) {
  Bytes raw = test::Hex(
      "7b6785be222d4cf0 | 48a54719 | 00000000000000000000000000000000 | 35ae32006287254c6354ae382d9bf3bd | "
      "80db3456dae92e8458265bfa");
  CryptConfig crypt(test::SequentialKey());
  EXPECT_EQ(ParseBlob(raw).kind, BlobKind::kEncrypted);
  EXPECT_EQ(DecodeBlob(raw, &crypt), kHello);
  Digest d = crypt.KeyedDigest(kHello);
  EXPECT_EQ(ToHex(d), "0b320eb821e3ce163fcb6a81ca7a97217b887e9f80dbe2bbe405bbdc2e7b22a8");
  EXPECT_EQ(DecodeChunk(raw, d, kHello.size(), &crypt), kHello);
  EXPECT_EQ(DecodeErrorKind(raw, nullptr), ErrorKind::kCrypto);
  AesKey other = test::SequentialKey();
  other[0] ^= 1;
  CryptConfig wrong(other);
  EXPECT_EQ(DecodeErrorKind(raw, &wrong), ErrorKind::kCrypto);
}

TEST(BlobTest, VectorB3CompressedWithAndWithoutContentSize) {
  Bytes thousand_a(1000, 'A');
  Bytes b3 = test::Hex("31b958426fb6a37f | 6fe372e5 | 28b52ffd00484d00001041410100e32b8005");
  Bytes b3b = test::Hex("31b958426fb6a37f | 19e21cc5 | 28b52ffd60e8024d00001041410100e32b8005");
  EXPECT_EQ(DecodeBlob(b3, nullptr), thousand_a);
  EXPECT_EQ(DecodeBlob(b3b, nullptr), thousand_a);
  Digest d = Sha256(thousand_a);
  EXPECT_EQ(ToHex(d), "c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4");
  EXPECT_EQ(DecodeChunk(b3, d, 1000, nullptr), thousand_a);
}

TEST(BlobTest, VectorB4EncryptedCompressed) {
  Bytes raw = test::Hex(
      "e6591bbf0bbfd80b | 22536158 | 01010101010101010101010101010101 | 594e94a82ba136ba62169729f03ab180 | "
      "6cce4f4d65e798aa00d459409297ba1e60f7");
  CryptConfig crypt(test::SequentialKey());
  Bytes thousand_a(1000, 'A');
  EXPECT_EQ(DecodeBlob(raw, &crypt), thousand_a);
  Digest d = crypt.KeyedDigest(thousand_a);
  EXPECT_EQ(ToHex(d), "e9744eb704e3bcef6f602c215bd3ba60e3986adeb06a00715dcf8e28980a98ab");
  EXPECT_EQ(DecodeChunk(raw, d, 1000, &crypt), thousand_a);
}

TEST(BlobTest, ConcatenatedFramesDecode) {
  Bytes frame = test::Hex("28b52ffd00484d00001041410100e32b8005");
  Bytes payload = frame;
  payload.insert(payload.end(), frame.begin(), frame.end());
  Bytes raw = test::Hex("31b958426fb6a37f 00000000");
  raw.insert(raw.end(), payload.begin(), payload.end());
  StoreLE<uint32_t>(raw.data() + 8, Crc32(payload));
  EXPECT_EQ(DecodeBlob(raw, nullptr), Bytes(2000, 'A'));
}

// The upstream data_blob.rs test data: '0'x10 '1'x10 ... '4'x10, all four modes, key 9s.
TEST(BlobTest, RoundTripAllModes) {
  Bytes data;
  for (char c = '0'; c <= '4'; ++c) data.insert(data.end(), 10, static_cast<uint8_t>(c));
  AesKey nines;
  nines.fill(9);
  CryptConfig crypt(nines);
  Bytes big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 7) >> 5);
  for (const Bytes* plain : {&data, &big}) {
    for (const CryptConfig* c : std::initializer_list<const CryptConfig*>{nullptr, &crypt}) {
      for (bool compress : {false, true}) {
        Bytes raw = EncodeBlob(*plain, c, compress);
        BlobView view = ParseBlob(raw);
        EXPECT_EQ(view.encrypted(), c != nullptr);
        EXPECT_EQ(DecodeBlob(raw, c), *plain);
        Digest d = ChunkDigestOf(*plain, c);
        EXPECT_EQ(DecodeChunk(raw, d, plain->size(), c), *plain);
        EXPECT_EQ(DecodeChunk(AlignedBytes(raw.begin(), raw.end()), d, plain->size(), c), *plain);  // in place
      }
    }
  }
  EXPECT_TRUE(ParseBlob(EncodeBlob(big, nullptr, true)).compressed());
  EXPECT_TRUE(ParseBlob(EncodeBlob(big, &crypt, true)).compressed());
}

TEST(BlobTest, ChunksDecodeIntoARecycledBufferWhateverItHeld) {
  AesKey nines;
  nines.fill(9);
  CryptConfig crypt(nines);
  Bytes big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 7) >> 5);
  Bytes random(4096);
  RandomBytes(random);
  for (const Bytes* plain : std::initializer_list<const Bytes*>{&big, &random, &kHello}) {
    for (const CryptConfig* c : std::initializer_list<const CryptConfig*>{nullptr, &crypt}) {
      for (bool compress : {false, true}) {
        Bytes raw = EncodeBlob(*plain, c, compress);
        Digest d = ChunkDigestOf(*plain, c);
        for (size_t held : {size_t{0}, size_t{5}, plain->size(), plain->size() + 1, size_t{3} << 20}) {
          AlignedBytes buffer(held, 0xee);  // a freed chunk's bytes: none of them may show
          EXPECT_EQ(DecodeChunk(raw, d, plain->size(), c, &buffer), *plain) << held;
          EXPECT_TRUE(buffer.empty());  // taken by the result
          buffer.assign(held, 0xee);
          AlignedBytes encoded(raw.begin(), raw.end());
          EXPECT_EQ(DecodeChunk(std::move(encoded), d, plain->size(), c, &buffer), *plain) << held;
          // A chunk stored plain becomes its result where it was read: the buffer is left.
          EXPECT_EQ(buffer.size(), ParseBlob(raw).kind == BlobKind::kPlain ? held : 0) << held;
        }
      }
    }
  }
}

TEST(BlobTest, IncompressibleDataStaysUncompressed) {
  Bytes random(4096);
  RandomBytes(random);
  EXPECT_EQ(ParseBlob(EncodeBlob(random, nullptr, true)).kind, BlobKind::kPlain);
}

TEST(BlobTest, EveryCorruptByteIsDetected) {
  AesKey nines;
  nines.fill(9);
  CryptConfig crypt(nines);
  Bytes plain(3000);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(i % 13);
  for (const CryptConfig* c : std::initializer_list<const CryptConfig*>{nullptr, &crypt}) {
    Bytes raw = EncodeBlob(plain, c, true);
    Digest d = ChunkDigestOf(plain, c);
    for (size_t i = 0; i < raw.size(); ++i) {
      Bytes bad = raw;
      bad[i] ^= 0x20;
      if (i >= 8 && i < kBlobHeaderSize) {
        // Only the stored CRC is wrong: the digest proves the content, which reads as is.
        EXPECT_EQ(DecodeChunk(bad, d, plain.size(), c), plain) << "byte " << i;
        EXPECT_THROW(CheckBlobCrc(ParseBlob(bad)), Error) << "byte " << i;
      } else {
        EXPECT_THROW(DecodeChunk(bad, d, plain.size(), c), Error) << "byte " << i;
      }
    }
  }
}

TEST(BlobTest, InPlaceDecodeReportsLikeTheCopyingOne) {
  Bytes raw = EncodeBlob(kHello, nullptr, false);
  Digest wrong = Sha256(kHello);
  wrong[0] ^= 1;
  for (size_t size : {kHello.size(), kHello.size() + 1}) {
    const Digest& digest = size == kHello.size() ? wrong : Sha256(kHello);
    std::string copying, in_place;
    try {
      DecodeChunk(ByteView(raw), digest, size, nullptr);
    } catch (const Error& e) {
      copying = e.what();
    }
    try {
      DecodeChunk(Bytes(raw), digest, size, nullptr);
    } catch (const Error& e) {
      in_place = e.what();
    }
    EXPECT_FALSE(copying.empty());
    EXPECT_EQ(in_place, copying);
  }
}

TEST(BlobTest, DamagedChunkIsReportedAsCrcMismatch) {
  // Reads skip the CRC while the digest matches; when decoding fails, the CRC names the cause.
  Bytes plain(3000);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(i % 13);
  Bytes raw = EncodeBlob(plain, nullptr, false);
  raw[100] ^= 1;
  try {
    DecodeChunk(raw, Sha256(plain), plain.size(), nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(std::string(e.what()).rfind("CRC mismatch (stored ", 0), 0u) << e.what();
  }
}

TEST(BlobTest, TruncationIsDetected) {
  Bytes plain(5000, 'x');
  Bytes raw = EncodeBlob(plain, nullptr, true);
  for (size_t len = 0; len < raw.size(); ++len) {
    EXPECT_THROW(DecodeChunk(ByteView(raw).first(len), Sha256(plain), plain.size(), nullptr), Error) << len;
  }
}

TEST(BlobTest, WrongSizeOrDigestIsCorrupt) {
  Bytes raw = EncodeBlob(kHello, nullptr, false);
  try {
    DecodeChunk(raw, Sha256(kHello), kHello.size() + 1, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_STREQ(e.what(), "chunk decodes to 12 bytes, index says 13");
  }
  Digest wrong = Sha256(kHello);
  wrong[5] ^= 1;
  try {
    DecodeChunk(raw, wrong, kHello.size(), nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_STREQ(e.what(), "chunk content does not match its digest");
  }
}

TEST(BlobTest, DecompressionBombIsBounded) {
  Bytes zeros(8 << 20, 0);
  Bytes raw = EncodeBlob(zeros, nullptr, true);
  EXPECT_LT(raw.size(), 4096u);
  EXPECT_THROW(DecodeBlob(raw, nullptr, 1 << 20), Error);
  EXPECT_EQ(DecodeBlob(raw, nullptr, 8 << 20).size(), zeros.size());
}

TEST(BlobTest, UnknownMagicAndShortInput) {
  EXPECT_EQ(DecodeErrorKind(test::Hex("0001020304050607 00000000"), nullptr), ErrorKind::kCorrupt);
  EXPECT_EQ(DecodeErrorKind(test::Hex("42ab3807be8370a1 0000"), nullptr), ErrorKind::kCorrupt);
  EXPECT_EQ(DecodeErrorKind(test::Hex("7b6785be222d4cf0 00000000 0000"), nullptr), ErrorKind::kCorrupt);
}

}  // namespace
}  // namespace cairn
