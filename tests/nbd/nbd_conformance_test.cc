// Raw-socket conformance and robustness (shared/spec/nbd-testing.md E, F6, I3 and the
// checklist of nbd-protocol.md §12): malformed and hostile traffic gets the documented error
// or closes that one connection, and the server goes on serving everybody else.
#include <map>
#include <random>

#include "nbd/protocol.h"
#include "tests/nbd/nbd_fixture.h"
#include "tests/nbd/raw_client.h"

namespace cairn::test {
namespace {

using namespace cairn::nbd;

class NbdConformance : public NbdTest {
 protected:
  void SetUp() override {
    NbdTest::SetUp();
    StartServer({"--default-export", kExportA});
  }
  // A fresh connection that completed the handshake for the default export.
  std::unique_ptr<RawNbdClient> Transmission(bool structured = true, bool meta_context = false) {
    auto c = std::make_unique<RawNbdClient>(socket_);
    EXPECT_TRUE(c->connected() && c->Greet());
    EXPECT_TRUE(c->Go("", structured, meta_context));
    return c;
  }
  // The server still completes a handshake and a READ for a new client.
  bool Serving() {
    RawNbdClient c(socket_);
    if (!c.connected() || !c.Greet() || !c.Go("")) return false;
    c.SendRequest(0, kCmdRead, 7, 4 << 20, 4096);
    std::optional<RawNbdClient::ReplyChunk> r = c.ReceiveReply();
    // Data, or a hole where a fuzzed session of the writable variant trimmed.
    return r && r->cookie == 7 && (r->type == kReplyTypeOffsetData || r->type == kReplyTypeOffsetHole);
  }
  const Bytes& image() const { return data_.image_a; }
  void Fuzz(const Bytes& valid, int sessions, uint32_t seed);
};

uint32_t ErrorOf(const RawNbdClient::ReplyChunk& c) {
  if (!c.structured) return c.error;
  return c.payload.size() >= 4 && (c.type & 0x8000) ? LoadBE<uint32_t>(c.payload.data()) : 0;
}

TEST_F(NbdConformance, BadOptionsGetErrorsAndTheConnectionStaysUsable) {
  RawNbdClient c(socket_);
  ASSERT_TRUE(c.Greet());
  EXPECT_EQ(c.Option(0x7777, Bytes(8, 'x')), kRepErrUnsup);
  EXPECT_EQ(c.Option(kOptList, Bytes{1}), kRepErrInvalid);
  EXPECT_EQ(c.Option(kOptGo, Bytes(3, 0)), kRepErrInvalid);
  Bytes overrun;
  AppendBE<uint32_t>(overrun, 100);  // name length beyond the payload
  AppendBE<uint16_t>(overrun, 0);
  EXPECT_EQ(c.Option(kOptGo, overrun), kRepErrInvalid);
  EXPECT_EQ(c.Option(kOptSetMetaContext, MetaContextPayload("", {kBaseAllocation})), kRepErrInvalid);
  EXPECT_EQ(c.Option(kOptExtendedHeaders), kRepErrUnsup);
  EXPECT_EQ(c.Option(kOptStartTls), kRepErrUnsup);
  EXPECT_EQ(c.Option(kOptInfo, GoPayload("no-such-export")), kRepErrUnknown);
  EXPECT_EQ(c.Option(kOptInfo, GoPayload(std::string(4096, 'n'))), kRepErrUnknown);
  EXPECT_EQ(c.Option(kOptInfo, GoPayload(std::string(4097, 'n'))), kRepErrInvalid);
  EXPECT_EQ(c.Option(kOptStructuredReply), kRepAck);
  EXPECT_EQ(c.Option(kOptStructuredReply), kRepErrInvalid);
  // Unknown namespaces are ignored: qemu-nbd --list sends "qemu:" and wants a bare ACK.
  c.SendOption(kOptListMetaContext, MetaContextPayload("", {"qemu:"}));
  std::optional<RawNbdClient::OptionReply> r = c.ReceiveOptionReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, kRepAck);
  EXPECT_EQ(c.Option(kOptSetMetaContext, MetaContextPayload("", {kBaseAllocation})), kRepAck);
  // INFO answers NBD_INFO_EXPORT although it was not asked for.
  c.SendOption(kOptInfo, GoPayload(""));
  r = c.ReceiveOptionReply();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, kRepInfo);
  ASSERT_EQ(r->payload.size(), 12u);
  EXPECT_EQ(LoadBE<uint16_t>(r->payload.data()), kInfoExport);
  EXPECT_EQ(LoadBE<uint64_t>(r->payload.data() + 2), image().size());
  EXPECT_EQ(LoadBE<uint16_t>(r->payload.data() + 10), 0x0587);
  while (r && r->type != kRepAck) r = c.ReceiveOptionReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(c.Option(kOptGo, GoPayload("")), kRepAck);
  c.SendRequest(0, kCmdRead, 1, 0, 512);
  std::optional<RawNbdClient::ReplyChunk> chunk = c.ReceiveReply();
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->type, kReplyTypeOffsetHole);  // chunk 0 of the image is zeros
}

TEST_F(NbdConformance, AbortIsAckedThenClosed) {
  RawNbdClient c(socket_);
  ASSERT_TRUE(c.Greet());
  EXPECT_EQ(c.Option(kOptAbort), kRepAck);
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(NbdConformance, FramingViolationsCloseOnlyThatConnection) {
  {
    RawNbdClient c(socket_);
    ASSERT_TRUE(c.Greet(0x80));  // unknown client flag
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    RawNbdClient c(socket_);
    ASSERT_TRUE(c.Greet());
    c.Send(Bytes(16, 0x55));  // bad option magic
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    RawNbdClient c(socket_);
    ASSERT_TRUE(c.Greet());
    Bytes huge;
    AppendBE<uint64_t>(huge, kIHaveOpt);
    AppendBE<uint32_t>(huge, kOptGo);
    AppendBE<uint32_t>(huge, 0xffffffff);  // closed without trying to read 4 GiB
    c.Send(huge);
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    auto c = Transmission();
    c->SendRequest(0, kCmdRead, 1, 0, 512, 0x12345678);  // bad request magic
    EXPECT_TRUE(c->ClosedByServer());
  }
  {
    RawNbdClient c(socket_);
    ASSERT_TRUE(c.Greet());
    c.SendOption(kOptExportName, AsBytes("no-such-export"));  // no error path: close
    EXPECT_TRUE(c.ClosedByServer());
  }
  EXPECT_TRUE(Serving());
}

TEST_F(NbdConformance, BadRequestsGetErrorsAndTheConnectionStaysUp) {
  auto c = Transmission(true, false);
  const uint64_t size = image().size();
  struct Case {
    uint16_t flags, type;
    uint64_t offset;
    uint32_t length;
    uint32_t error;
  };
  const Case cases[] = {
      {0, 0x55, 0, 512, kEinval},                    // unknown command
      {0, kCmdRead, size, 512, kEinval},             // past the end
      {0, kCmdRead, size - 512, 1024, kEinval},      // straddling the end
      {0, kCmdRead, 0, 0, kEinval},                  // zero length
      {0x40, kCmdRead, 0, 512, kEinval},             // unknown flag
      {0, kCmdRead, 0, (32 << 20) + 1, kEoverflow},  // above the maximum payload
      {0, kCmdTrim, 0, 512, kEperm},                 // read-only
      {0, kCmdWriteZeroes, 0, 512, kEperm},
      {0, kCmdBlockStatus, 0, 512, kEinval},         // no meta context negotiated
      {0, kCmdCache, size, 1, kEinval},
      {0, kCmdFlush, 0, 0, 0},
      {kCmdFlagFua, kCmdCache, 0, 4096, 0},          // FUA is accepted on anything
  };
  uint64_t cookie = 100;
  for (const Case& k : cases) {
    c->SendRequest(k.flags, k.type, ++cookie, k.offset, k.length);
    std::optional<RawNbdClient::ReplyChunk> r = c->ReceiveReply();
    ASSERT_TRUE(r) << "type " << k.type;
    EXPECT_EQ(r->cookie, cookie);
    EXPECT_EQ(ErrorOf(*r), k.error) << "type " << k.type << " offset " << k.offset << " length " << k.length;
    if (r->structured) {
      EXPECT_TRUE(r->flags & kReplyFlagDone);
    }
  }
  // A WRITE on the read-only export: EPERM, and its 1 MiB payload is drained.
  c->SendRequest(0, kCmdWrite, 200, 0, 1 << 20);
  c->Send(Bytes(1 << 20, 0xab));
  std::optional<RawNbdClient::ReplyChunk> r = c->ReceiveReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, kEperm);
  c->SendRequest(0, kCmdRead, 201, 4 << 20, 4096);
  r = c->ReceiveReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cookie, 201u);
  EXPECT_EQ(r->type, kReplyTypeOffsetData);
  EXPECT_TRUE(Bytes(r->payload.begin() + 8, r->payload.end()) ==
              Bytes(image().begin() + (4 << 20), image().begin() + (4 << 20) + 4096));
}

TEST_F(NbdConformance, StructuredReadsUseHolesAndDfGivesOneChunk) {
  auto c = Transmission();
  // 64 KiB across the end of the zero chunk 0 and the start of text chunk 1.
  const uint64_t offset = (4 << 20) - (32 << 10);
  const uint32_t length = 64 << 10;
  c->SendRequest(0, kCmdRead, 1, offset, length);
  Bytes got(length, 0xee);
  std::map<uint16_t, int> types;
  for (;;) {
    std::optional<RawNbdClient::ReplyChunk> r = c->ReceiveReply();
    ASSERT_TRUE(r && r->structured && r->cookie == 1);
    ++types[r->type];
    uint64_t at = LoadBE<uint64_t>(r->payload.data());
    ASSERT_GE(at, offset);
    if (r->type == kReplyTypeOffsetHole) {
      uint32_t n = LoadBE<uint32_t>(r->payload.data() + 8);
      ASSERT_LE(at + n, offset + length);
      std::fill(got.begin() + (at - offset), got.begin() + (at - offset + n), 0);
    } else {
      ASSERT_EQ(r->type, kReplyTypeOffsetData);
      ASSERT_LE(at + r->payload.size() - 8, offset + length);
      std::copy(r->payload.begin() + 8, r->payload.end(), got.begin() + (at - offset));
    }
    if (r->flags & kReplyFlagDone) break;
  }
  EXPECT_EQ(types[kReplyTypeOffsetHole], 1);
  EXPECT_EQ(types[kReplyTypeOffsetData], 1);
  EXPECT_TRUE(got == Bytes(image().begin() + offset, image().begin() + offset + length));

  c->SendRequest(kCmdFlagDf, kCmdRead, 2, offset, length);
  std::optional<RawNbdClient::ReplyChunk> r = c->ReceiveReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, kReplyTypeOffsetData);
  EXPECT_TRUE(r->flags & kReplyFlagDone);
  EXPECT_TRUE(Bytes(r->payload.begin() + 8, r->payload.end()) ==
              Bytes(image().begin() + offset, image().begin() + offset + length));
}

TEST_F(NbdConformance, SimpleRepliesWithoutStructuredReplies) {
  auto c = Transmission(false);
  const uint64_t offset = (4 << 20) - 100;
  c->SendRequest(0, kCmdRead, 9, offset, 200);
  std::optional<RawNbdClient::ReplyChunk> r = c->ReceiveReply(200);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->structured);
  EXPECT_EQ(r->error, 0u);
  EXPECT_TRUE(r->payload == Bytes(image().begin() + offset, image().begin() + offset + 200));
  c->SendRequest(0, kCmdRead, 10, 0, (32 << 20) + 1);
  r = c->ReceiveReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, kEinval);  // EOVERFLOW is for structured replies only
  c->SendRequest(kCmdFlagDf, kCmdRead, 11, 0, 512);  // DF is not advertised here
  r = c->ReceiveReply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, kEinval);
}

TEST_F(NbdConformance, BlockStatusRequestOneAndFull) {
  auto c = Transmission(true, true);
  const uint32_t whole = static_cast<uint32_t>(image().size());
  c->SendRequest(kCmdFlagReqOne, kCmdBlockStatus, 1, 0, whole);
  std::optional<RawNbdClient::ReplyChunk> r = c->ReceiveReply();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, kReplyTypeBlockStatus);
  ASSERT_EQ(r->payload.size(), 12u);  // context id + exactly one extent
  EXPECT_EQ(LoadBE<uint32_t>(r->payload.data() + 4), 4u << 20);
  EXPECT_EQ(LoadBE<uint32_t>(r->payload.data() + 8), kStateHole | kStateZero);

  c->SendRequest(0, kCmdBlockStatus, 2, 0, whole);
  r = c->ReceiveReply();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, kReplyTypeBlockStatus);
  uint64_t covered = 0;
  for (size_t i = 4; i + 8 <= r->payload.size(); i += 8) covered += LoadBE<uint32_t>(r->payload.data() + i);
  EXPECT_EQ(covered, whole);
}

TEST_F(NbdConformance, DisconnectAnswersRequestsInFlightFirst) {
  auto c = Transmission();
  for (uint64_t i = 0; i < 32; ++i) c->SendRequest(0, kCmdRead, 1000 + i, i * (1 << 20), 1 << 20);
  c->SendRequest(0, kCmdDisc, 5000, 0, 0);
  std::map<uint64_t, bool> done;
  while (done.size() < 32) {
    std::optional<RawNbdClient::ReplyChunk> r = c->ReceiveReply();
    ASSERT_TRUE(r) << "closed after " << done.size() << " replies";
    ASSERT_TRUE(r->cookie >= 1000 && r->cookie < 1032) << r->cookie;
    EXPECT_EQ(ErrorOf(*r), 0u);
    if (r->flags & kReplyFlagDone) done[r->cookie] = true;
  }
  EXPECT_TRUE(c->ClosedByServer());  // and nothing answers the DISC itself
}

TEST_F(NbdConformance, ClientsDyingWithRequestsInFlightDoNotHurtTheServer) {
  for (int round = 0; round < 20; ++round) {
    auto c = Transmission();
    for (uint64_t i = 0; i < 64; ++i) c->SendRequest(0, kCmdRead, i, (i % 9) << 22, 4 << 20);
    if (round % 2 == 1) c->ReceiveReply();  // sometimes die in the middle of the replies
  }  // closed with replies pending
  EXPECT_TRUE(ServerAlive());
  EXPECT_TRUE(Serving());
}

// A valid session for the mutation fuzzer: structured replies, base:allocation, GO for the
// default export, then the requests added with Request(); ends with DISC.
class Session {
 public:
  Session() {
    AppendBE<uint32_t>(bytes_, 3);
    Option(kOptStructuredReply, {});
    Option(kOptSetMetaContext, MetaContextPayload("", {kBaseAllocation}));
    Option(kOptGo, GoPayload("", {kInfoBlockSize}));
  }
  void Request(uint16_t flags, uint16_t type, uint64_t offset, uint32_t length, const Bytes& payload = {}) {
    AppendBE<uint32_t>(bytes_, kRequestMagic);
    AppendBE<uint16_t>(bytes_, flags);
    AppendBE<uint16_t>(bytes_, type);
    AppendBE<uint64_t>(bytes_, 42);
    AppendBE<uint64_t>(bytes_, offset);
    AppendBE<uint32_t>(bytes_, length);
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
  }
  Bytes Finish() {
    Request(0, kCmdDisc, 0, 0);
    return bytes_;
  }

 private:
  void Option(uint32_t code, const Bytes& data) {
    AppendBE<uint64_t>(bytes_, kIHaveOpt);
    AppendBE<uint32_t>(bytes_, code);
    AppendBE<uint32_t>(bytes_, static_cast<uint32_t>(data.size()));
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }
  Bytes bytes_;
};

// Plays `sessions` mutations of `valid` (bit flips, byte changes, truncation, insertions),
// each as one client; the server must stay up and keep serving new clients.
void NbdConformance::Fuzz(const Bytes& valid, int sessions, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < sessions; ++i) {
    Bytes input = valid;
    int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      size_t at = rng() % input.size();
      switch (rng() % 4) {
        case 0: input[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: input[at] = static_cast<uint8_t>(rng()); break;
        case 2: input.resize(at); break;  // truncated session
        case 3: input.insert(input.begin() + static_cast<ptrdiff_t>(at), static_cast<uint8_t>(rng())); break;
      }
      if (input.empty()) input.push_back(0);
    }
    {
      RawNbdClient c(socket_);
      ASSERT_TRUE(c.connected()) << "session " << i;
      c.Send(input);
      c.ShutdownWrite();
      c.ClosedByServer();  // drains whatever the server answers
    }
    ASSERT_TRUE(ServerAlive()) << "server died in session " << i;
    if (i % 25 == 0) {
      ASSERT_TRUE(Serving()) << "server stopped serving after session " << i;
    }
  }
  EXPECT_TRUE(Serving());
}

// A mutation fuzzer over a valid session (nbd-testing.md E5).
TEST_F(NbdConformance, MutatedSessionsNeverTakeTheServerDown) {
  Session session;
  session.Request(0, kCmdRead, 0, 1 << 20);
  session.Request(0, kCmdRead, 4 << 20, 65536);
  session.Request(kCmdFlagReqOne, kCmdBlockStatus, 0, 32 << 20);
  session.Request(0, kCmdBlockStatus, 0, 32 << 20);
  session.Request(0, kCmdCache, 4 << 20, 4096);
  Fuzz(session.Finish(), 300, 20241122);
}

// The same with writes, against a copy-on-write overlay: a thousand sessions.
class NbdConformanceWritable : public NbdConformance {
 protected:
  void SetUp() override {
    NbdTest::SetUp();
    StartServer({"--default-export", kExportA, "--overlay", (tmp_ / "overlay").string()});
  }
};

TEST_F(NbdConformanceWritable, MutatedWritingSessionsNeverTakeTheServerDown) {
  Session session;
  session.Request(0, kCmdWrite, 4096, 8192, Bytes(8192, 0x11));
  session.Request(kCmdFlagFua, kCmdWrite, (8 << 20) + 100, 1000, Bytes(1000, 0x22));
  session.Request(kCmdFlagNoHole, kCmdWriteZeroes, 1 << 20, 65536);
  session.Request(0, kCmdTrim, 2 << 20, 131072);
  session.Request(0, kCmdRead, 0, 1 << 20);
  session.Request(0, kCmdBlockStatus, 0, 16 << 20);
  session.Request(0, kCmdFlush, 0, 0);
  Fuzz(session.Finish(), 1000, 20241130);
}

}  // namespace
}  // namespace cairn::test
