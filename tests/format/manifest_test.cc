#include "core/format/manifest.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/util/error.h"
#include "core/util/hex.h"
#include "tests/test_support.h"

namespace cairn {
namespace {

using test::ErrorOf;

using nlohmann::json;

// Spec §5.2: the upstream signature test manifest as PBS writes it (sorted keys).
constexpr char kExample[] = R"({
  "backup-id": "elsa",
  "backup-time": 1593179765,
  "backup-type": "host",
  "files": [
    {
      "crypt-mode": "encrypt",
      "csum": "0101010101010101010101010101010101010101010101010101010101010101",
      "filename": "test1.img.fidx",
      "size": 200
    },
    {
      "crypt-mode": "none",
      "csum": "0202020202020202020202020202020202020202020202020202020202020202",
      "filename": "abc.blob",
      "size": 200
    }
  ],
  "signature": "d7b446fb7db081662081d4b40fedd858a1d6307a5aff4ecff7d5bf4fd35679e9",
  "unprotected": {
    "key-fingerprint": "12:b9:b7:74:bb:3d:89:95:2b:97:cb:c2:82:f0:0c:14:2b:83:ba:7f:96:62:6a:a1:5a:44:9a:63:e8:91:fe:25",
    "note": "This is not protected by the signature."
  }
})";

// Spec §5.4: the bytes that signature covers.
constexpr char kExampleCanonical[] =
    R"({"backup-id":"elsa","backup-time":1593179765,"backup-type":"host","files":[{"crypt-mode":"encrypt",)"
    R"("csum":"0101010101010101010101010101010101010101010101010101010101010101","filename":"test1.img.fidx",)"
    R"("size":200},{"crypt-mode":"none","csum":"0202020202020202020202020202020202020202020202020202020202020202",)"
    R"("filename":"abc.blob","size":200}]})";

// Spec §10.1: scrypt("test", empty salt), the key of the upstream manifest test.
AesKey ManifestTestKey() {
  Bytes raw = test::Hex("28cdb1a3bef39396c3860e00d448fe7a0efd8244486ab6feb30457681d31597e");
  AesKey key;
  std::copy(raw.begin(), raw.end(), key.begin());
  return key;
}

Digest Fill(uint8_t byte) {
  Digest d;
  d.fill(byte);
  return d;
}

// Runs `f`, expecting an Error of `kind`; returns its message.
std::string ParseError(const std::string& text) {
  return ErrorOf([&] { Manifest::Parse(text); }, ErrorKind::kCorrupt);
}

// kExample with one change applied to its JSON.
std::string Mutated(const std::function<void(json&)>& change) {
  json doc = json::parse(kExample);
  change(doc);
  return doc.dump(2);
}

TEST(ManifestTest, SignatureVector) {  // spec §10.2
  Manifest m("host", "elsa", 1593179765);
  m.mutable_files().push_back({"test1.img.fidx", CryptMode::kEncrypt, 200, Fill(1)});
  m.mutable_files().push_back({"abc.blob", CryptMode::kNone, 200, Fill(2)});
  m.mutable_unprotected()["note"] = "This is not protected by the signature.";
  EXPECT_EQ(m.SignedContent(), kExampleCanonical);

  CryptConfig crypt(ManifestTestKey());
  m.Sign(crypt);
  ASSERT_TRUE(m.signature());
  EXPECT_EQ(*m.signature(), "d7b446fb7db081662081d4b40fedd858a1d6307a5aff4ecff7d5bf4fd35679e9");
  EXPECT_EQ(m.key_fingerprint(), crypt.fingerprint());
  EXPECT_EQ(m.ToJson(), kExample);
  m.VerifySignature(&crypt);
}

TEST(ManifestTest, ParseExample) {
  Manifest m = Manifest::Parse(kExample);
  EXPECT_EQ(m.backup_type(), "host");
  EXPECT_EQ(m.backup_id(), "elsa");
  EXPECT_EQ(m.backup_time(), 1593179765);
  ASSERT_EQ(m.files().size(), 2u);
  EXPECT_EQ(m.files()[0].filename, "test1.img.fidx");
  EXPECT_EQ(m.files()[0].crypt_mode, CryptMode::kEncrypt);
  EXPECT_EQ(m.files()[0].size, 200u);
  EXPECT_EQ(m.files()[0].csum, Fill(1));
  EXPECT_EQ(m.files()[1].crypt_mode, CryptMode::kNone);
  EXPECT_EQ(m.files()[1].csum, Fill(2));
  ASSERT_NE(m.Find("abc.blob"), nullptr);
  EXPECT_EQ(m.Find("abc.blob")->filename, "abc.blob");
  EXPECT_EQ(m.Find("index.json.blob"), nullptr);
  EXPECT_EQ(m.signature(), "d7b446fb7db081662081d4b40fedd858a1d6307a5aff4ecff7d5bf4fd35679e9");
  EXPECT_EQ(m.key_fingerprint(), CryptConfig(ManifestTestKey()).fingerprint());
  EXPECT_EQ(m.unprotected()["note"], "This is not protected by the signature.");
  EXPECT_TRUE(m.unknown_fields().empty());
  EXPECT_EQ(m.SignedContent(), kExampleCanonical);
  EXPECT_EQ(m.ToJson(), kExample);
}

TEST(ManifestTest, CryptModeNames) {
  for (CryptMode mode : {CryptMode::kNone, CryptMode::kEncrypt, CryptMode::kSignOnly}) {
    EXPECT_EQ(ParseCryptMode(CryptModeName(mode)), mode);
  }
  EXPECT_EQ(CryptModeName(CryptMode::kSignOnly), "sign-only");
  EXPECT_EQ(ParseCryptMode("Encrypt"), std::nullopt);
  EXPECT_EQ(ParseCryptMode(""), std::nullopt);
}

// Pre-0.8 manifests have no crypt-mode; PVE's have "signature": null.
TEST(ManifestTest, UnsignedManifestWithoutCryptMode) {
  Manifest m = Manifest::Parse(R"({"backup-type":"vm","backup-id":"100","backup-time":1700000000,
      "files":[{"filename":"qemu-server.conf.blob","size":400,
                "csum":"ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"}],
      "signature":null,"unprotected":{"chunk_upload_stats":{"count":1,"size":2,"compressed_size":3,"duplicates":0}}})");
  ASSERT_EQ(m.files().size(), 1u);
  EXPECT_EQ(m.files()[0].crypt_mode, CryptMode::kNone);
  EXPECT_EQ(ToHex(m.files()[0].csum), "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  EXPECT_FALSE(m.signature());
  EXPECT_FALSE(m.key_fingerprint());
  m.VerifySignature(nullptr);
  CryptConfig crypt(test::SequentialKey());
  m.VerifySignature(&crypt);
  EXPECT_NE(m.ToJson().find("\"signature\": null"), std::string::npos);
  EXPECT_NE(m.ToJson().find("\"crypt-mode\": \"none\""), std::string::npos);
}

TEST(ManifestTest, MinimalManifestDefaults) {
  Manifest m = Manifest::Parse(R"({"backup-type":"ct","backup-id":"101","backup-time":-5,"files":[]})");
  EXPECT_EQ(m.backup_time(), -5);
  EXPECT_TRUE(m.files().empty());
  EXPECT_TRUE(m.unprotected().is_object());
  EXPECT_FALSE(m.signature());
  EXPECT_EQ(m.ToJson(), R"({
  "backup-id": "101",
  "backup-time": -5,
  "backup-type": "ct",
  "files": [],
  "signature": null,
  "unprotected": {}
})");
  // "unprotected": null is the same as absent.
  EXPECT_TRUE(Manifest::Parse(R"({"backup-type":"ct","backup-id":"1","backup-time":5,"files":[],
                                  "unprotected":null})")
                  .unprotected()
                  .is_object());
}

TEST(ManifestTest, UnknownTopLevelFieldsRoundTripAndAreSigned) {
  std::string text = Mutated([](json& doc) {
    doc["x-future"] = json{{"list", {1, 2, "three"}}, {"flag", true}};
    doc.erase("signature");
    doc["unprotected"].erase("key-fingerprint");
  });
  Manifest m = Manifest::Parse(text);
  EXPECT_EQ(m.unknown_fields().size(), 1u);
  EXPECT_EQ(m.unknown_fields()["x-future"]["list"][2], "three");
  EXPECT_EQ(Manifest::Parse(m.ToJson()).unknown_fields(), m.unknown_fields());
  EXPECT_NE(m.ToJson().find("\"x-future\": {"), std::string::npos);
  EXPECT_EQ(m.SignedContent(), std::string(kExampleCanonical, sizeof(kExampleCanonical) - 2) +
                                   R"(,"x-future":{"flag":true,"list":[1,2,"three"]}})");

  CryptConfig crypt(ManifestTestKey());
  m.Sign(crypt);
  Manifest reread = Manifest::Parse(m.ToJson());
  reread.VerifySignature(&crypt);
  // Changing the unknown field breaks the signature, as it would in PBS.
  json doc = json::parse(m.ToJson());
  doc["x-future"]["flag"] = false;
  ErrorOf([&] { Manifest::Parse(doc.dump()).VerifySignature(&crypt); }, ErrorKind::kCrypto);
}

TEST(ManifestTest, VerifyAcceptsRightKey) {
  CryptConfig crypt(ManifestTestKey());
  Manifest::Parse(kExample).VerifySignature(&crypt);
  // unprotected may change freely.
  Manifest m = Manifest::Parse(kExample);
  m.set_notes("changed after signing");
  m.mutable_unprotected()["chunk_upload_stats"] = {{"count", 5}};
  Manifest::Parse(m.ToJson()).VerifySignature(&crypt);
}

TEST(ManifestTest, VerifyWrongKeyNamesBothFingerprints) {
  CryptConfig other(test::SequentialKey());
  std::string message =
      ErrorOf([&] { Manifest::Parse(kExample).VerifySignature(&other); }, ErrorKind::kCrypto);
  EXPECT_EQ(message,
            "wrong key: manifest was signed with key 12:b9:b7:74:bb:3d:89:95, given key is "
            "0e:ab:d4:46:0b:6e:b9:ca");
}

TEST(ManifestTest, VerifySignedManifestWithoutKey) {
  std::string message =
      ErrorOf([] { Manifest::Parse(kExample).VerifySignature(nullptr); }, ErrorKind::kCrypto);
  EXPECT_NE(message.find("12:b9:b7:74:bb:3d:89:95"), std::string::npos) << message;
  EXPECT_NE(message.find("missing key"), std::string::npos) << message;
  // Signed, but without key-fingerprint: still needs a key.
  Manifest m = Manifest::Parse(Mutated([](json& doc) { doc["unprotected"].erase("key-fingerprint"); }));
  message = ErrorOf([&] { m.VerifySignature(nullptr); }, ErrorKind::kCrypto);
  EXPECT_NE(message.find("key is needed"), std::string::npos) << message;
  // Unsigned, but carrying key-fingerprint: made with a key, cannot be used without it.
  Manifest fp_only = Manifest::Parse(Mutated([](json& doc) { doc["signature"] = nullptr; }));
  ErrorOf([&] { fp_only.VerifySignature(nullptr); }, ErrorKind::kCrypto);
  CryptConfig crypt(ManifestTestKey());
  fp_only.VerifySignature(&crypt);
  CryptConfig other(test::SequentialKey());
  ErrorOf([&] { fp_only.VerifySignature(&other); }, ErrorKind::kCrypto);
}

TEST(ManifestTest, VerifyDetectsTampering) {
  CryptConfig crypt(ManifestTestKey());
  std::vector<std::function<void(json&)>> changes = {
      [](json& doc) { doc["files"][0]["size"] = 201; },
      [](json& doc) { doc["files"][1]["crypt-mode"] = "encrypt"; },
      [](json& doc) { doc["files"][1]["csum"] = std::string(64, '3'); },
      [](json& doc) { doc["files"][1]["filename"] = "abd.blob"; },
      [](json& doc) { doc["files"].erase(1); },
      [](json& doc) { doc["backup-time"] = 1593179766; },
      [](json& doc) { doc["backup-id"] = "anna"; },
      [](json& doc) { doc["backup-type"] = "vm"; },
      [](json& doc) { doc["signature"] = std::string(64, '0'); },
      [](json& doc) {
        doc["signature"] = "D7B446FB7DB081662081D4B40FEDD858A1D6307A5AFF4ECFF7D5BF4FD35679E9";
      },
  };
  for (const auto& change : changes) {
    Manifest m = Manifest::Parse(Mutated(change));
    std::string message = ErrorOf([&] { m.VerifySignature(&crypt); }, ErrorKind::kCrypto);
    EXPECT_NE(message.find("signature does not match"), std::string::npos) << message;
  }
  // Without key-fingerprint, a wrong key shows up as a signature mismatch.
  Manifest m = Manifest::Parse(Mutated([](json& doc) { doc["unprotected"].erase("key-fingerprint"); }));
  CryptConfig other(test::SequentialKey());
  std::string message = ErrorOf([&] { m.VerifySignature(&other); }, ErrorKind::kCrypto);
  EXPECT_NE(message.find("signature does not match"), std::string::npos) << message;
  m.VerifySignature(&crypt);
}

TEST(ManifestTest, SignOnlyRoundTrip) {
  CryptConfig crypt(test::SequentialKey());
  Manifest m("vm", "100", 1700000000);
  m.mutable_files().push_back({"drive-scsi0.img.fidx", CryptMode::kSignOnly, 1 << 30, Fill(0xab)});
  m.Sign(crypt);
  Manifest reread = Manifest::Parse(m.ToJson());
  reread.VerifySignature(&crypt);
  EXPECT_EQ(reread.files()[0].crypt_mode, CryptMode::kSignOnly);
  EXPECT_EQ(reread.files()[0].size, uint64_t{1} << 30);
  EXPECT_EQ(reread.ToJson(), m.ToJson());
  EXPECT_EQ(reread.unprotected()["key-fingerprint"], FingerprintFull(crypt.fingerprint()));
}

TEST(ManifestTest, NotesAndVerifyState) {
  Manifest m = Manifest::Parse(kExample);
  EXPECT_FALSE(m.notes());
  EXPECT_FALSE(m.verify_state());
  m.set_notes("first line\nsecond line");
  m.set_verify_state(
      {VerifyState::kFailed, "UPID:pbs:000004D2:0000162E:00000000:6666D0A0:verify:store:root@pam:"});
  Manifest reread = Manifest::Parse(m.ToJson());
  EXPECT_EQ(reread.notes(), "first line\nsecond line");
  ASSERT_TRUE(reread.verify_state());
  EXPECT_EQ(reread.verify_state()->state, VerifyState::kFailed);
  EXPECT_EQ(reread.verify_state()->upid,
            "UPID:pbs:000004D2:0000162E:00000000:6666D0A0:verify:store:root@pam:");
  EXPECT_EQ(reread.unprotected()["verify_state"]["state"], "failed");
  m.set_verify_state({VerifyState::kOk, "UPID:x"});
  EXPECT_EQ(m.verify_state()->state, VerifyState::kOk);

  m.mutable_unprotected()["notes"] = 5;
  EXPECT_FALSE(m.notes());
  m.mutable_unprotected()["verify_state"] = {{"state", "maybe"}, {"upid", "UPID:x"}};
  ErrorOf([&] { m.verify_state(); }, ErrorKind::kCorrupt);
  m.mutable_unprotected()["verify_state"] = {{"state", "ok"}};
  ErrorOf([&] { m.verify_state(); }, ErrorKind::kCorrupt);
  m.mutable_unprotected()["verify_state"] = nullptr;
  EXPECT_FALSE(m.verify_state());
}

TEST(ManifestTest, MalformedInputsNameTheField) {
  struct Case {
    std::function<void(json&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](json& d) { d.erase("backup-type"); }, "manifest field 'backup-type' is missing"},
      {[](json& d) { d["backup-type"] = "lxc"; }, "manifest field 'backup-type' is not one of vm, ct, host"},
      {[](json& d) { d["backup-type"] = nullptr; }, "manifest field 'backup-type' is not a string"},
      {[](json& d) { d["backup-id"] = 7; }, "manifest field 'backup-id' is not a string"},
      {[](json& d) { d.erase("backup-id"); }, "manifest field 'backup-id' is missing"},
      {[](json& d) { d["backup-time"] = "1593179765"; }, "manifest field 'backup-time' is not an integer"},
      {[](json& d) { d["backup-time"] = 1.5; }, "manifest field 'backup-time' is not an integer"},
      {[](json& d) { d["backup-time"] = nullptr; }, "manifest field 'backup-time' is not an integer"},
      {[](json& d) { d["backup-time"] = 9223372036854775808ULL; },
       "manifest field 'backup-time' is out of range for a 64-bit signed integer"},
      {[](json& d) { d.erase("files"); }, "manifest field 'files' is missing"},
      {[](json& d) { d["files"] = json::object(); }, "manifest field 'files' is not an array"},
      {[](json& d) { d["files"][1] = "abc.blob"; }, "manifest field 'files[1]' is not an object"},
      {[](json& d) { d["files"][1].erase("filename"); }, "manifest field 'files[1].filename' is missing"},
      {[](json& d) { d["files"][0]["filename"] = json::array(); },
       "manifest field 'files[0].filename' is not a string"},
      {[](json& d) { d["files"][1]["crypt-mode"] = "plain"; },
       "manifest field 'files[1].crypt-mode' is not one of none, encrypt, sign-only"},
      {[](json& d) { d["files"][1]["crypt-mode"] = nullptr; },
       "manifest field 'files[1].crypt-mode' is not a string"},
      {[](json& d) { d["files"][0]["size"] = -1; }, "manifest field 'files[0].size' is not a non-negative integer"},
      {[](json& d) { d["files"][0]["size"] = 200.0; }, "manifest field 'files[0].size' is not a non-negative integer"},
      {[](json& d) { d["files"][0]["size"] = "200"; }, "manifest field 'files[0].size' is not a non-negative integer"},
      {[](json& d) { d["files"][1].erase("size"); }, "manifest field 'files[1].size' is missing"},
      {[](json& d) { d["files"][1]["csum"] = std::string(63, '0'); },
       "manifest field 'files[1].csum' is not 64 hex characters"},
      {[](json& d) { d["files"][1]["csum"] = std::string(66, '0'); },
       "manifest field 'files[1].csum' is not 64 hex characters"},
      {[](json& d) { d["files"][1]["csum"] = std::string(63, '0') + "g"; },
       "manifest field 'files[1].csum' is not 64 hex characters"},
      {[](json& d) { d["files"][1]["csum"] = nullptr; }, "manifest field 'files[1].csum' is not a string"},
      {[](json& d) { d["signature"] = 5; }, "manifest field 'signature' is not a string"},
      {[](json& d) { d["unprotected"] = "notes"; }, "manifest field 'unprotected' is not an object"},
      {[](json& d) { d["unprotected"]["key-fingerprint"] = "12:b9"; },
       "manifest field 'unprotected.key-fingerprint' is not a key fingerprint"},
      {[](json& d) { d["unprotected"]["key-fingerprint"] = 12; },
       "manifest field 'unprotected.key-fingerprint' is not a key fingerprint"},
      {[](json& d) { d["x-extra"] = nullptr; },
       "manifest field 'x-extra' is null or a floating-point number, which the signature cannot cover"},
      {[](json& d) {
         d["x-extra"] = {{"a", {1, nullptr}}};
       },
       "manifest field 'x-extra.a[1]' is null or a floating-point number, which the signature cannot cover"},
      {[](json& d) { d["x-extra"] = {0.5}; },
       "manifest field 'x-extra[0]' is null or a floating-point number, which the signature cannot cover"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseError(Mutated(c.change)), c.message);
  }
}

TEST(ManifestTest, NotJsonOrNotAnObject) {
  EXPECT_NE(ParseError("").find("manifest is not valid JSON"), std::string::npos);
  EXPECT_NE(ParseError("{\"backup-type\":").find("manifest is not valid JSON"), std::string::npos);
  EXPECT_NE(ParseError(std::string(kExample) + "x").find("manifest is not valid JSON"), std::string::npos);
  EXPECT_EQ(ParseError("[]"), "manifest is not a JSON object");
  EXPECT_EQ(ParseError("null"), "manifest is not a JSON object");
  EXPECT_NE(ParseError("{\"a\":1e999}").find("manifest is not valid JSON"), std::string::npos);
  EXPECT_NE(ParseError("{\"backup-id\":\"\xff\"}").find("manifest is not valid JSON"), std::string::npos);
}

TEST(ManifestTest, DeepNestingIsRejected) {
  std::string deep = std::string(kExample, sizeof(kExample) - 2) + ",\"x\":" + std::string(200000, '[') +
                     std::string(200000, ']') + "}";
  EXPECT_NE(ParseError(deep).find("nested more than 128 levels"), std::string::npos);
  std::string fine = std::string(kExample, sizeof(kExample) - 2) + ",\"x\":" + std::string(100, '[') +
                     std::string(100, ']') + "}";
  EXPECT_EQ(Manifest::Parse(fine).unknown_fields().size(), 1u);
}

TEST(ManifestTest, EveryTruncationIsAnError) {
  std::string text = kExample;
  for (size_t len = 0; len < text.size(); ++len) {
    try {
      Manifest::Parse(std::string_view(text).substr(0, len));
      ADD_FAILURE() << "truncation to " << len << " bytes parsed";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    }
  }
}

TEST(ManifestTest, SignRejectsNonCanonicalContent) {
  Manifest m("host", "bad\xff", 1);
  CryptConfig crypt(test::SequentialKey());
  ErrorOf([&] { m.Sign(crypt); }, ErrorKind::kInvalidInput);
  ErrorOf([&] { m.ToJson(); }, ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace cairn
