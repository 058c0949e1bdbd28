// Pure logic of nbd/: listen addresses, export lookup, reply framing.
#include <gtest/gtest.h>

#include "core/util/error.h"
#include "nbd/exports.h"
#include "nbd/listen_address.h"
#include "nbd/protocol.h"
#include "nbd/reply.h"

namespace cairn::nbd {
namespace {

TEST(NbdListenAddress, ParsesUnixAndTcpForms) {
  ListenAddress u = ParseListenAddress("unix:/run/x.sock");
  EXPECT_EQ(u.kind, ListenAddress::Kind::kUnix);
  EXPECT_EQ(u.path, "/run/x.sock");
  EXPECT_EQ(u.Uri("vm/100/2024-05-01T10:00:00Z/a b.img"),
            "nbd+unix:///vm/100/2024-05-01T10:00:00Z/a%20b.img?socket=/run/x.sock");
  ListenAddress t = ParseListenAddress("tcp:127.0.0.1:10809");
  EXPECT_EQ(t.kind, ListenAddress::Kind::kTcp);
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 10809);
  ListenAddress v6 = ParseListenAddress("tcp:[::1]:9000");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.ToString(), "tcp:[::1]:9000");
  for (const char* bad : {"", "unix:", "tcp:host", "tcp::80", "tcp:h:99999", "tcp:h:x", "udp:h:1"}) {
    EXPECT_THROW(ParseListenAddress(bad), Error) << bad;
  }
}

Export Named(const std::string& name, const std::string& target) {
  Export e;
  e.name = name;
  e.target = target;
  return e;
}

TEST(NbdExportList, EmptyNameSelectsTheOnlyTargetOrTheConfiguredDefault) {
  ExportList one({Named("vm/1/T/a.img", "x"), Named("vm/1/latest/a.img", "x")}, std::nullopt);
  ASSERT_NE(one.Find(""), nullptr);
  EXPECT_EQ(one.Find("")->name, "vm/1/T/a.img");
  ExportList two({Named("a", "x"), Named("b", "y")}, std::nullopt);
  EXPECT_EQ(two.Find(""), nullptr);
  EXPECT_EQ(two.Find("b")->target, "y");
  EXPECT_EQ(two.Find("c"), nullptr);
  ExportList chosen({Named("a", "x"), Named("b", "y")}, "b");
  EXPECT_EQ(chosen.Find("")->name, "b");
  EXPECT_THROW(ExportList({Named("a", "x")}, "zz"), Error);
}

TEST(NbdReply, StructuredChunksAreFramedAndContiguous) {
  Reply r(0x1122334455667788);
  std::span<uint8_t> data = r.AllocateData(8);
  std::fill(data.begin(), data.end(), 0xab);
  r.AppendOffsetHole(100, 8, false);
  r.AppendOffsetData(108, 0, 8, true);
  // hole chunk (20 + 12), data chunk header (20 + 8) merged into one control piece, then data.
  ASSERT_EQ(r.pieces().size(), 2u);
  EXPECT_FALSE(r.pieces()[0].from_data);
  EXPECT_EQ(r.pieces()[0].length, 60u);
  EXPECT_TRUE(r.pieces()[1].from_data);
  EXPECT_EQ(r.wire_size(), 68u);
  const uint8_t* c = r.control();
  EXPECT_EQ(LoadBE<uint32_t>(c), kStructuredReplyMagic);
  EXPECT_EQ(LoadBE<uint16_t>(c + 4), 0);
  EXPECT_EQ(LoadBE<uint16_t>(c + 6), kReplyTypeOffsetHole);
  EXPECT_EQ(LoadBE<uint64_t>(c + 8), 0x1122334455667788u);
  EXPECT_EQ(LoadBE<uint32_t>(c + 16), 12u);
  EXPECT_EQ(LoadBE<uint16_t>(c + 32 + 4), kReplyFlagDone);
  EXPECT_EQ(LoadBE<uint32_t>(c + 32 + 16), 16u);
  EXPECT_EQ(LoadBE<uint64_t>(c + 52), 108u);
}

TEST(NbdReply, ErrorMessagesAreCutToTheStringLimit) {
  Reply r(1);
  r.AppendError(kEio, std::string(5000, 'm'), true);
  EXPECT_EQ(r.wire_size(), 20u + 6 + kMaxStringLength);
}

}  // namespace
}  // namespace cairn::nbd
