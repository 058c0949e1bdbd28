#include "core/format/key_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/util/base64.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

using test::ErrorOf;

using nlohmann::json;

constexpr char kFingerprint[] =
    "0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b";

// Spec §10.7, all wrapping the key 00..1f.
constexpr char kPlainVector[] =
    R"({"kdf":null,"created":"2024-06-10T06:13:20+00:00","modified":"2024-06-10T06:13:20+00:00",)"
    R"("data":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",)"
    R"("fingerprint":"0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b"})";
constexpr char kScryptVector[] =
    R"({"kdf":{"Scrypt":{"n":65536,"r":8,"p":1,"salt":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="}},)"
    R"("created":"2024-06-10T06:13:20+00:00","modified":"2024-06-10T06:13:20+00:00",)"
    R"("data":"AgICAgICAgICAgICAgICAlHvDwMHVD4S6L87RhguYRD1q1/qwGStI90T5Q2cLRdRbGSOuPDO5uz1yvIk3UFAjA==",)"
    R"("fingerprint":"0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b"})";
constexpr char kPbkdf2Vector[] =
    R"({"kdf":{"PBKDF2":{"iter":65535,"salt":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="}},)"
    R"("created":"2024-06-10T06:13:20+00:00","modified":"2024-06-10T06:13:20+00:00",)"
    R"("data":"AgICAgICAgICAgICAgICAjcaXoYRirZIt32PFTk5yVEU4qLmml1uhsHCKwdwchA/buNpoj2Ll5UfE6EisXuUAw==",)"
    R"("fingerprint":"0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b"})";
constexpr char kPassword[] = "password123";
constexpr int64_t kVectorTime = 1718000000;  // 2024-06-10T06:13:20Z

// Sets TZ for the lifetime of the object, so that local-time output is predictable.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> old_;
};

// Runs `f`, expecting an Error of `kind`; returns its message.
// kScryptVector with one change applied to its JSON (which keeps PBS's member order).
std::string Mutated(const char* vector, const std::function<void(nlohmann::ordered_json&)>& change) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(vector);
  change(doc);
  return doc.dump();
}

std::string ParseError(const std::string& text) {
  return ErrorOf([&] { KeyFile::Parse(text); }, ErrorKind::kCorrupt);
}

TEST(KeyFileTest, PlainVector) {
  KeyFile file = KeyFile::Parse(kPlainVector);
  EXPECT_EQ(file.kdf_kind(), KdfKind::kNone);
  EXPECT_FALSE(file.needs_password());
  EXPECT_EQ(file.created, kVectorTime);
  EXPECT_EQ(file.modified, kVectorTime);
  EXPECT_EQ(file.fingerprint, ParseFingerprint(kFingerprint));
  EXPECT_FALSE(file.hint);
  EXPECT_EQ(file.Decrypt(""), test::SequentialKey());
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(file.ToJson(), kPlainVector);
}

TEST(KeyFileTest, ScryptVector) {
  KeyFile file = KeyFile::Parse(kScryptVector);
  ASSERT_EQ(file.kdf_kind(), KdfKind::kScrypt);
  EXPECT_TRUE(file.needs_password());
  const ScryptParams& s = std::get<ScryptParams>(file.kdf);
  EXPECT_EQ(s.n, 65536u);
  EXPECT_EQ(s.r, 8u);
  EXPECT_EQ(s.p, 1u);
  EXPECT_EQ(s.salt, Bytes(32, 0x01));
  EXPECT_EQ(file.data.size(), 64u);
  EXPECT_EQ(file.Decrypt(kPassword), test::SequentialKey());
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(file.ToJson(), kScryptVector);
}

TEST(KeyFileTest, Pbkdf2Vector) {
  KeyFile file = KeyFile::Parse(kPbkdf2Vector);
  ASSERT_EQ(file.kdf_kind(), KdfKind::kPbkdf2);
  EXPECT_EQ(std::get<Pbkdf2Params>(file.kdf).iter, 65535u);
  EXPECT_EQ(std::get<Pbkdf2Params>(file.kdf).salt, Bytes(32, 0x01));
  EXPECT_EQ(file.Decrypt(kPassword), test::SequentialKey());
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(file.ToJson(), kPbkdf2Vector);
}

TEST(KeyFileTest, WrongPassword) {
  for (const char* vector : {kPbkdf2Vector, kScryptVector}) {
    KeyFile file = KeyFile::Parse(vector);
    EXPECT_EQ(ErrorOf([&] { file.Decrypt("password124"); }, ErrorKind::kCrypto),
              "wrong password for key file");
    ErrorOf([&] { file.Decrypt("pass"); }, ErrorKind::kInvalidInput);
    ErrorOf([&] { file.Decrypt(""); }, ErrorKind::kInvalidInput);
  }
}

TEST(KeyFileTest, TamperedDataFailsLikeAWrongPassword) {
  KeyFile file = KeyFile::Parse(kPbkdf2Vector);
  file.data[40] ^= 1;
  EXPECT_EQ(ErrorOf([&] { file.Decrypt(kPassword); }, ErrorKind::kCrypto), "wrong password for key file");
}

TEST(KeyFileTest, FingerprintIsChecked) {
  AesKey other = test::SequentialKey();
  other[31] ^= 0xff;
  std::string other_fp = FingerprintFull(CryptConfig(other).fingerprint());
  for (const char* vector : {kPlainVector, kPbkdf2Vector}) {
    KeyFile file = KeyFile::Parse(Mutated(vector, [&](auto& doc) { doc["fingerprint"] = other_fp; }));
    std::string message = ErrorOf([&] { file.Decrypt(kPassword); }, ErrorKind::kCrypto);
    EXPECT_NE(message.find("0e:ab:d4:46:0b:6e:b9:ca"), std::string::npos) << message;
    // Without a stored fingerprint there is nothing to check.
    file.fingerprint.reset();
    EXPECT_EQ(file.Decrypt(kPassword), test::SequentialKey());
  }
  // Colons are optional, as in PBS.
  std::string bare = Mutated(kPlainVector, [](auto& doc) {
    std::string fp = doc["fingerprint"];
    std::erase(fp, ':');
    doc["fingerprint"] = fp;
  });
  EXPECT_EQ(KeyFile::Parse(bare).fingerprint, ParseFingerprint(kFingerprint));
  // null and absent mean "no fingerprint".
  EXPECT_FALSE(
      KeyFile::Parse(Mutated(kPlainVector, [](auto& doc) { doc["fingerprint"] = nullptr; })).fingerprint);
  EXPECT_FALSE(
      KeyFile::Parse(Mutated(kPlainVector, [](auto& doc) { doc.erase("fingerprint"); })).fingerprint);
}

TEST(KeyFileTest, MissingBase64PaddingIsAccepted) {
  std::string text = Mutated(kScryptVector, [](auto& doc) {
    doc["data"] = "AgICAgICAgICAgICAgICAlHvDwMHVD4S6L87RhguYRD1q1/qwGStI90T5Q2cLRdRbGSOuPDO5uz1yvIk3UFAjA";
    doc["kdf"]["Scrypt"]["salt"] = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
  });
  KeyFile file = KeyFile::Parse(text);
  EXPECT_EQ(file.data, KeyFile::Parse(kScryptVector).data);
  EXPECT_EQ(std::get<ScryptParams>(file.kdf).salt, Bytes(32, 0x01));
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(file.ToJson(), kScryptVector);  // written back with padding
}

TEST(KeyFileTest, CreateRoundTripPbkdf2) {
  KeyFile file = KeyFile::Create(test::SequentialKey(), KdfKind::kPbkdf2, "correct horse");
  ASSERT_EQ(file.kdf_kind(), KdfKind::kPbkdf2);
  EXPECT_EQ(std::get<Pbkdf2Params>(file.kdf).iter, 65535u);
  EXPECT_EQ(std::get<Pbkdf2Params>(file.kdf).salt.size(), 32u);
  EXPECT_EQ(file.data.size(), 64u);
  EXPECT_EQ(file.fingerprint, ParseFingerprint(kFingerprint));
  EXPECT_EQ(file.created, file.modified);
  EXPECT_LE(std::abs(file.created - static_cast<int64_t>(std::time(nullptr))), 5);

  KeyFile reread = KeyFile::Parse(file.ToJson());
  EXPECT_EQ(reread.data, file.data);
  EXPECT_EQ(reread.created, file.created);
  EXPECT_EQ(reread.ToJson(), file.ToJson());
  EXPECT_EQ(reread.Decrypt("correct horse"), test::SequentialKey());
  ErrorOf([&] { reread.Decrypt("correct horsf"); }, ErrorKind::kCrypto);
  // A fresh salt and IV every time.
  KeyFile again = KeyFile::Create(test::SequentialKey(), KdfKind::kPbkdf2, "correct horse");
  EXPECT_NE(again.data, file.data);
  EXPECT_NE(std::get<Pbkdf2Params>(again.kdf).salt, std::get<Pbkdf2Params>(file.kdf).salt);
}

TEST(KeyFileTest, CreateRoundTripScrypt) {
  // The defaults (n=65536) once, and a cheap n through the explicit-parameter overload.
  KeyFile file = KeyFile::Create(test::SequentialKey(), KdfKind::kScrypt, "correct horse");
  const ScryptParams& s = std::get<ScryptParams>(file.kdf);
  EXPECT_EQ(s.n, 65536u);
  EXPECT_EQ(s.r, 8u);
  EXPECT_EQ(s.p, 1u);
  EXPECT_EQ(s.salt.size(), 32u);
  EXPECT_EQ(KeyFile::Parse(file.ToJson()).Decrypt("correct horse"), test::SequentialKey());

  AesKey key;
  RandomBytes(key);
  KeyFile cheap =
      KeyFile::Create(key, ScryptParams{.n = 1024, .r = 8, .p = 2, .salt = Bytes{1, 2, 3}}, "hunter22");
  cheap.hint = "the usual, with ü";
  std::string text = cheap.ToJson();
  EXPECT_NE(text.find(R"("kdf":{"Scrypt":{"n":1024,"r":8,"p":2,"salt":"AQID"}})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("hint":"the usual, with ü"})"), std::string::npos) << text;
  KeyFile reread = KeyFile::Parse(text);
  EXPECT_EQ(reread.hint, "the usual, with ü");
  EXPECT_EQ(reread.Decrypt("hunter22"), key);
  EXPECT_EQ(reread.fingerprint, CryptConfig(key).fingerprint());
}

TEST(KeyFileTest, CreateWithoutPassword) {
  KeyFile file = KeyFile::Create(test::SequentialKey(), KdfKind::kNone, "");
  EXPECT_FALSE(file.needs_password());
  AesKey key = test::SequentialKey();
  EXPECT_EQ(file.data, Bytes(key.begin(), key.end()));
  EXPECT_EQ(KeyFile::Parse(file.ToJson()).Decrypt(""), test::SequentialKey());
  EXPECT_EQ(file.ToJson().rfind(R"({"kdf":null,"created":")", 0), 0u);
  EXPECT_EQ(file.ToJson().find("hint"), std::string::npos);
  ErrorOf([] { KeyFile::Create(test::SequentialKey(), KdfKind::kNone, "secret"); }, ErrorKind::kInvalidInput);
}

TEST(KeyFileTest, CreateRejectsBadInput) {
  ErrorOf([] { KeyFile::Create(test::SequentialKey(), KdfKind::kPbkdf2, "1234"); }, ErrorKind::kInvalidInput);
  ErrorOf([] { KeyFile::Create(test::SequentialKey(), ScryptParams{.n = 1000}, "12345"); },
          ErrorKind::kInvalidInput);
  ErrorOf([] { KeyFile::Create(test::SequentialKey(), Pbkdf2Params{.iter = 0}, "12345"); },
          ErrorKind::kInvalidInput);
}

TEST(KeyFileTest, TimesUseLocalTimeWithNumericOffset) {
  KeyFile file = KeyFile::Parse(kPlainVector);
  {
    ScopedTimeZone plus_two("XXX-2");  // POSIX TZ: two hours east of UTC, no DST
    EXPECT_NE(file.ToJson().find(R"("created":"2024-06-10T08:13:20+02:00")"), std::string::npos)
        << file.ToJson();
  }
  {
    ScopedTimeZone minus_five_thirty("XXX+5:30");
    EXPECT_NE(file.ToJson().find(R"("modified":"2024-06-10T00:43:20-05:30")"), std::string::npos)
        << file.ToJson();
  }
  // Any offset, or Z, denotes the same instant.
  for (const char* t : {"2024-06-10T08:13:20+02:00", "2024-06-10T06:13:20Z", "2024-06-10T00:43:20-05:30"}) {
    KeyFile f = KeyFile::Parse(Mutated(kPlainVector, [&](auto& doc) { doc["created"] = t; }));
    EXPECT_EQ(f.created, kVectorTime) << t;
  }
}

TEST(KeyFileTest, KdfShapes) {
  std::string salt = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
  auto with_kdf = [&](const json& kdf) {
    return Mutated(kScryptVector, [&](auto& doc) { doc["kdf"] = nlohmann::ordered_json::parse(kdf.dump()); });
  };
  EXPECT_EQ(ParseError(with_kdf(json{{"Scrypt", {{"n", 65536}, {"r", 8}, {"p", 1}, {"salt", salt}}},
                                     {"PBKDF2", {{"iter", 1000}, {"salt", salt}}}})),
            R"(key file field 'kdf' is not null, {"Scrypt":{...}} or {"PBKDF2":{...}})");
  EXPECT_EQ(ParseError(with_kdf(json{{"scrypt", {{"n", 65536}, {"r", 8}, {"p", 1}, {"salt", salt}}}})),
            "key file field 'kdf' names an unknown key derivation 'scrypt' (expected Scrypt or PBKDF2)");
  ParseError(with_kdf("Scrypt"));
  ParseError(with_kdf(json::object()));
  EXPECT_EQ(ParseError(with_kdf(json{{"Scrypt", 5}})), "key file field 'kdf.Scrypt' is not an object");
  EXPECT_EQ(ParseError(with_kdf(json{{"Scrypt", {{"n", 65536}, {"p", 1}, {"salt", salt}}}})),
            "key file field 'kdf.Scrypt.r' is missing");
  EXPECT_EQ(ParseError(with_kdf(json{{"Scrypt", {{"n", -1}, {"r", 8}, {"p", 1}, {"salt", salt}}}})),
            "key file field 'kdf.Scrypt.n' is not a non-negative integer");
  EXPECT_EQ(ParseError(with_kdf(json{{"PBKDF2", {{"iter", 1000}, {"salt", "AQ=E"}}}})),
            "key file field 'kdf.PBKDF2.salt' is not base64");
  EXPECT_EQ(ParseError(with_kdf(json{{"PBKDF2", {{"iter", "1000"}, {"salt", salt}}}})),
            "key file field 'kdf.PBKDF2.iter' is not a non-negative integer");
  // A PBKDF2 kdf on scrypt-wrapped data parses (the shape is fine) but does not decrypt.
  KeyFile swapped = KeyFile::Parse(with_kdf(json{{"PBKDF2", {{"iter", 1000}, {"salt", salt}}}}));
  ErrorOf([&] { swapped.Decrypt(kPassword); }, ErrorKind::kCrypto);
  // Absent kdf means none.
  std::string no_kdf = Mutated(kPlainVector, [](auto& doc) { doc.erase("kdf"); });
  EXPECT_EQ(KeyFile::Parse(no_kdf).Decrypt(""), test::SequentialKey());
}

// A hostile key file must not make Decrypt allocate gigabytes or run for hours.
TEST(KeyFileTest, KdfLimits) {
  auto scrypt = [](uint64_t n, uint64_t r, uint64_t p) {
    return Mutated(kScryptVector, [&](auto& doc) {
      doc["kdf"]["Scrypt"]["n"] = n;
      doc["kdf"]["Scrypt"]["r"] = r;
      doc["kdf"]["Scrypt"]["p"] = p;
    });
  };
  ParseError(scrypt(uint64_t{1} << 21, 1, 1));
  ParseError(scrypt(uint64_t{1} << 62, 8, 1));
  ParseError(scrypt(65535, 8, 1));
  ParseError(scrypt(0, 8, 1));
  ParseError(scrypt(1, 8, 1));
  ParseError(scrypt(65536, 0, 1));
  ParseError(scrypt(65536, 8, 0));
  ParseError(scrypt(65536, 8, 1000));
  ParseError(scrypt(65536, uint64_t{1} << 40, uint64_t{1} << 40));
  ParseError(scrypt(uint64_t{1} << 20, 16, 1));  // 2 GiB
  KeyFile::Parse(scrypt(uint64_t{1} << 20, 8, 2));
  KeyFile::Parse(scrypt(2, 1, 1));
  auto pbkdf2 = [](uint64_t iter) {
    return Mutated(kPbkdf2Vector, [&](auto& doc) { doc["kdf"]["PBKDF2"]["iter"] = iter; });
  };
  ParseError(pbkdf2(0));
  ParseError(pbkdf2(10'000'001));
  ParseError(pbkdf2(uint64_t{1} << 63));
  KeyFile::Parse(pbkdf2(10'000'000));
  KeyFile::Parse(pbkdf2(1));
}

TEST(KeyFileTest, MalformedFieldsAreNamed) {
  struct Case {
    const char* vector;
    std::function<void(nlohmann::ordered_json&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {kPlainVector, [](auto& d) { d.erase("created"); }, "key file field 'created' is missing"},
      {kPlainVector, [](auto& d) { d["created"] = 1717999000; }, "key file field 'created' is not a string"},
      {kPlainVector, [](auto& d) { d["modified"] = "2024-06-10 06:13"; },
       "key file field 'modified' is not an RFC 3339 time like 2024-06-10T08:13:20+02:00"},
      {kPlainVector, [](auto& d) { d["modified"] = "2024-13-10T06:13:20Z"; },
       "key file field 'modified' is not an RFC 3339 time like 2024-06-10T08:13:20+02:00"},
      {kPlainVector, [](auto& d) { d["data"] = nullptr; }, "key file field 'data' is not a string"},
      {kPlainVector, [](auto& d) { d["data"] = "AAEC AwQF"; }, "key file field 'data' is not base64"},
      {kPlainVector, [](auto& d) { d["data"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=="; },
       "key file field 'data' is not base64"},
      {kPlainVector, [](auto& d) { d["data"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="; },
       "key file field 'data' holds 31 bytes, expected 32"},
      {kScryptVector, [](auto& d) { d["data"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; },
       "key file field 'data' holds 32 bytes, expected 64"},
      {kPlainVector, [](auto& d) { d["fingerprint"] = "0e:ab"; },
       "key file field 'fingerprint' is not a key fingerprint"},
      {kPlainVector, [](auto& d) { d["fingerprint"] = std::string(kFingerprint).replace(0, 2, "zz"); },
       "key file field 'fingerprint' is not a key fingerprint"},
      {kPlainVector, [](auto& d) { d["fingerprint"] = 5; }, "key file field 'fingerprint' is not a string"},
      {kPlainVector, [](auto& d) { d["hint"] = json::array(); }, "key file field 'hint' is not a string"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseError(Mutated(c.vector, c.change)), c.message);
  }
  EXPECT_EQ(ParseError("[]"), "key file is not a JSON object");
  EXPECT_NE(ParseError("{").find("key file is not valid JSON"), std::string::npos);
  // Unknown members are ignored, as serde does.
  KeyFile::Parse(Mutated(kPlainVector, [](auto& d) { d["x-extra"] = {1, 2}; }));
}

TEST(KeyFileTest, EveryTruncationIsAnError) {
  for (const char* vector : {kPlainVector, kScryptVector, kPbkdf2Vector}) {
    std::string_view text = vector;
    for (size_t len = 0; len < text.size(); ++len) {
      try {
        KeyFile::Parse(text.substr(0, len));
        ADD_FAILURE() << "truncation to " << len << " bytes parsed";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
      }
    }
  }
}

}  // namespace
}  // namespace cairn
