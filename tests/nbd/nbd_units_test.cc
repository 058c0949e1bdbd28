// Pure logic of nbd/: listen addresses, export lookup, reply framing.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

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
  auto chunk = std::make_shared<Bytes>(8, 0xab);
  r.SetData({{nullptr, ByteView(static_cast<const uint8_t*>(nullptr), 8)}, {chunk, ByteView(*chunk)}});
  r.AppendOffsetHole(100, 8, false);
  r.AppendOffsetData(108, 8, 8, true);
  // hole chunk (20 + 12), data chunk header (20 + 8) merged into one piece, then the data
  // straight from the chunk's memory.
  std::vector<ByteView> buffers = r.Buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].size(), 60u);
  EXPECT_EQ(buffers[1].data(), chunk->data());
  EXPECT_EQ(buffers[1].size(), 8u);
  EXPECT_EQ(r.wire_size(), 68u);
  const uint8_t* c = buffers[0].data();
  EXPECT_EQ(LoadBE<uint32_t>(c), kStructuredReplyMagic);
  EXPECT_EQ(LoadBE<uint16_t>(c + 4), 0);
  EXPECT_EQ(LoadBE<uint16_t>(c + 6), kReplyTypeOffsetHole);
  EXPECT_EQ(LoadBE<uint64_t>(c + 8), 0x1122334455667788u);
  EXPECT_EQ(LoadBE<uint32_t>(c + 16), 12u);
  EXPECT_EQ(LoadBE<uint16_t>(c + 32 + 4), kReplyFlagDone);
  EXPECT_EQ(LoadBE<uint32_t>(c + 32 + 16), 16u);
  EXPECT_EQ(LoadBE<uint64_t>(c + 52), 108u);
}

TEST(NbdReply, SimpleReplyDataSpansPiecesAndZeros) {
  // 3 bytes of one chunk, 2 MiB + 1 of zeros (more than one zero block), 2 of another.
  auto a = std::make_shared<Bytes>(Bytes{1, 2, 3, 4});
  auto b = std::make_shared<Bytes>(Bytes{5, 6});
  const size_t zeros = (2 << 20) + 1;
  Reply r(7);
  r.SetData({{a, ByteView(*a).subspan(1)}, {nullptr, ByteView(static_cast<const uint8_t*>(nullptr), zeros)},
             {b, ByteView(*b)}});
  r.AppendSimple(0, 3 + zeros + 2);
  Bytes wire;
  for (ByteView piece : r.Buffers()) wire.insert(wire.end(), piece.begin(), piece.end());
  ASSERT_EQ(wire.size(), r.wire_size());
  ASSERT_EQ(wire.size(), 16 + 3 + zeros + 2);
  EXPECT_EQ(LoadBE<uint32_t>(wire.data()), kSimpleReplyMagic);
  EXPECT_EQ(Bytes(wire.begin() + 16, wire.begin() + 19), (Bytes{2, 3, 4}));
  EXPECT_TRUE(std::all_of(wire.begin() + 19, wire.end() - 2, [](uint8_t x) { return x == 0; }));
  EXPECT_EQ(Bytes(wire.end() - 2, wire.end()), (Bytes{5, 6}));
}

TEST(NbdReply, ErrorMessagesAreCutToTheStringLimit) {
  Reply r(1);
  r.AppendError(kEio, std::string(5000, 'm'), true);
  EXPECT_EQ(r.wire_size(), 20u + 6 + kMaxStringLength);
}

}  // namespace
}  // namespace cairn::nbd
