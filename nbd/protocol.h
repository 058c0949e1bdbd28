// The NBD wire format, described once (shared/spec/nbd-protocol.md §1–§5): magic numbers,
// option and command codes, flags, reply types, error values, and big-endian field access.
// Names follow the protocol document so that the code can be read beside it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/util/bytes.h"

namespace cairn::nbd {

// §1.1 Magic numbers.
inline constexpr uint64_t kNbdMagic = 0x4e42444d41474943;        // "NBDMAGIC"
inline constexpr uint64_t kIHaveOpt = 0x49484156454F5054;        // "IHAVEOPT"
inline constexpr uint64_t kOptionReplyMagic = 0x0003e889045565a9;
inline constexpr uint32_t kRequestMagic = 0x25609513;
inline constexpr uint32_t kSimpleReplyMagic = 0x67446698;
inline constexpr uint32_t kStructuredReplyMagic = 0x668e33ef;

// §1.2 Handshake flags (server) and client flags.
inline constexpr uint16_t kFlagFixedNewstyle = 1 << 0;
inline constexpr uint16_t kFlagNoZeroes = 1 << 1;
inline constexpr uint32_t kClientFlagFixedNewstyle = 1 << 0;
inline constexpr uint32_t kClientFlagNoZeroes = 1 << 1;

// §1.3 Option codes.
enum Option : uint32_t {
  kOptExportName = 1,
  kOptAbort = 2,
  kOptList = 3,
  kOptPeekExport = 4,
  kOptStartTls = 5,
  kOptInfo = 6,
  kOptGo = 7,
  kOptStructuredReply = 8,
  kOptListMetaContext = 9,
  kOptSetMetaContext = 10,
  kOptExtendedHeaders = 11,
};

// §1.4 Option reply types; errors have bit 31 set.
enum OptionReply : uint32_t {
  kRepAck = 1,
  kRepServer = 2,
  kRepInfo = 3,
  kRepMetaContext = 4,
  kRepErrUnsup = 0x80000001,
  kRepErrPolicy = 0x80000002,
  kRepErrInvalid = 0x80000003,
  kRepErrPlatform = 0x80000004,
  kRepErrTlsReqd = 0x80000005,
  kRepErrUnknown = 0x80000006,
  kRepErrShutdown = 0x80000007,
  kRepErrBlockSizeReqd = 0x80000008,
  kRepErrTooBig = 0x80000009,
};

// §1.5 NBD_INFO_* items.
enum Info : uint16_t {
  kInfoExport = 0,
  kInfoName = 1,
  kInfoDescription = 2,
  kInfoBlockSize = 3,
};

// §1.6 Transmission flags.
inline constexpr uint16_t kFlagHasFlags = 1 << 0;
inline constexpr uint16_t kFlagReadOnly = 1 << 1;
inline constexpr uint16_t kFlagSendFlush = 1 << 2;
inline constexpr uint16_t kFlagSendFua = 1 << 3;
inline constexpr uint16_t kFlagSendTrim = 1 << 5;
inline constexpr uint16_t kFlagSendWriteZeroes = 1 << 6;
inline constexpr uint16_t kFlagSendDf = 1 << 7;
inline constexpr uint16_t kFlagCanMultiConn = 1 << 8;
inline constexpr uint16_t kFlagSendCache = 1 << 10;

// §1.7 Commands.
enum Command : uint16_t {
  kCmdRead = 0,
  kCmdWrite = 1,
  kCmdDisc = 2,
  kCmdFlush = 3,
  kCmdTrim = 4,
  kCmdCache = 5,
  kCmdWriteZeroes = 6,
  kCmdBlockStatus = 7,
};

// §1.8 Command flags.
inline constexpr uint16_t kCmdFlagFua = 1 << 0;
inline constexpr uint16_t kCmdFlagNoHole = 1 << 1;
inline constexpr uint16_t kCmdFlagDf = 1 << 2;
inline constexpr uint16_t kCmdFlagReqOne = 1 << 3;
inline constexpr uint16_t kCmdFlagFastZero = 1 << 4;

// §1.9 Structured reply chunk types and the reply flag.
inline constexpr uint16_t kReplyFlagDone = 1 << 0;
enum ChunkType : uint16_t {
  kReplyTypeNone = 0,
  kReplyTypeOffsetData = 1,
  kReplyTypeOffsetHole = 2,
  kReplyTypeBlockStatus = 5,
  kReplyTypeError = 0x8001,
  kReplyTypeErrorOffset = 0x8002,
};

// §1.10 Error values. Only these go on the wire (see errors.h).
enum ErrorValue : uint32_t {
  kEperm = 1,
  kEio = 5,
  kEnomem = 12,
  kEinval = 22,
  kEnospc = 28,
  kEoverflow = 75,
  kEnotsup = 95,
  kEshutdown = 108,
};

// §1.11 base:allocation status bits.
inline constexpr uint32_t kStateHole = 1 << 0;
inline constexpr uint32_t kStateZero = 1 << 1;
inline constexpr char kBaseAllocation[] = "base:allocation";

// §0, §8 Sizes.
inline constexpr size_t kMaxStringLength = 4096;       // names, descriptions, messages
inline constexpr uint32_t kMaxPayload = 32 << 20;      // largest READ we buffer (advertised)
inline constexpr size_t kGreetingLength = 18;
inline constexpr size_t kOptionHeaderLength = 16;
inline constexpr size_t kOptionReplyHeaderLength = 20;
inline constexpr size_t kRequestLength = 28;
inline constexpr size_t kSimpleReplyLength = 16;
inline constexpr size_t kChunkHeaderLength = 20;
inline constexpr size_t kExportNameZeroPad = 124;      // after an EXPORT_NAME reply without NO_ZEROES

// Big-endian field access: everything on the wire is network order.
template <typename T>
T LoadBE(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | p[i]);
  return v;
}

template <typename T>
void AppendBE(Bytes& out, T v) {
  for (size_t i = sizeof(T); i-- > 0;) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
}

inline void AppendString(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

}  // namespace cairn::nbd
