// The transmission phase (spec §5–§6, §12 items 4–6, 8, 9, 11, 12; nbdkit: server/protocol.c):
// requests are read one after another, run concurrently on the worker pool, and answered
// in the order they finish. One writer per connection sends whole replies.
#include <algorithm>
#include <limits>

#include "core/util/error.h"
#include "core/util/log.h"
#include "nbd/connection.h"
#include "nbd/errors.h"
#include "nbd/protocol.h"

namespace cairn::nbd {
namespace {

using asio::redirect_error;
using asio::use_awaitable;

constexpr uint32_t kBaseAllocationId = 1;
// Most extents in one BLOCK_STATUS reply (spec §6.8); the client asks again for the rest.
constexpr size_t kMaxExtents = 1 << 20;
// Refused WRITE payloads (read-only export, too large) are drained up to this; beyond it the
// client is treated as hostile and disconnected (spec §8: nothing <= 32 MiB is a DoS).
constexpr uint64_t kMaxDrain = 2 * uint64_t{kMaxPayload};
// CACHE warms the chunk cache through the reader, a piece at a time, up to this much.
constexpr uint64_t kCachePiece = 4 << 20;
constexpr uint64_t kMaxCache = 256 << 20;
// Replies sent with one gathered write.
constexpr size_t kMaxBatch = 32;

bool InRange(uint64_t offset, uint64_t length, uint64_t size) { return offset <= size && length <= size - offset; }

bool IsWriteType(uint16_t type) { return type == kCmdWrite || type == kCmdTrim || type == kCmdWriteZeroes; }

}  // namespace

asio::awaitable<void> Connection::Transmit() {
  Log(LogLevel::kDebug, "nbd: connection " + std::to_string(id_) + " serves " + export_->name);
  writable_ = export_->writable ? dynamic_cast<WritableBlockSource*>(source_.get()) : nullptr;
  boost::system::error_code ec;
  uint8_t header[kRequestLength];
  Bytes scratch;
  while (!dead_) {
    // Back-pressure: stop reading while too much is in flight; Release() wakes us. Once
    // stopping, requests are read to be answered ESHUTDOWN, which costs nothing.
    while (!stopping_ && !dead_ &&
           (inflight_bytes_ >= limits_.max_inflight_bytes || inflight_requests_ >= limits_.max_inflight_requests)) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(redirect_error(use_awaitable, ec));
    }
    if (dead_) break;
    co_await asio::async_read(stream_, asio::buffer(header), redirect_error(use_awaitable, ec));
    if (ec) break;  // the client left, or Shutdown()'s grace period ended
    if (LoadBE<uint32_t>(header) != kRequestMagic) {
      HardDisconnect("bad request magic");  // the stream cannot be re-synchronised
      break;
    }
    Request request{LoadBE<uint16_t>(header + 4), LoadBE<uint16_t>(header + 6), LoadBE<uint64_t>(header + 8),
                    LoadBE<uint64_t>(header + 16), LoadBE<uint32_t>(header + 24)};
    if (request.type == kCmdDisc) break;  // in-flight replies still go out; then we close
    Bytes payload;
    if (request.type == kCmdWrite && writable_ != nullptr && request.length <= kMaxPayload && !stopping_) {
      payload.resize(request.length);
      co_await asio::async_read(stream_, asio::buffer(payload), redirect_error(use_awaitable, ec));
      if (ec) break;
    } else if (request.type == kCmdWrite) {
      // A WRITE that will be refused: the payload is read and dropped to stay in sync (§6.2).
      if (request.length > kMaxDrain) {
        HardDisconnect("WRITE payload too large to drain");
        break;
      }
      scratch.resize(std::min<size_t>(request.length, 1 << 20));
      for (uint64_t left = request.length; left > 0 && !ec;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left, scratch.size()));
        co_await asio::async_read(stream_, asio::buffer(scratch.data(), n), redirect_error(use_awaitable, ec));
        left -= n;
      }
      if (ec) break;
    }
    Dispatch(request, std::move(payload));
  }
}

void Connection::Dispatch(const Request& request, Bytes payload) {
  ++inflight_requests_;
  const uint64_t size = export_->size;
  auto fail = [&](uint32_t error, std::string_view message) { Enqueue(ErrorReply(request, error, message), 0); };
  auto succeed = [&] {
    Reply reply(request.cookie);
    reply.AppendSimple(0);
    Enqueue(std::move(reply), 0);
  };

  if (stopping_) return fail(kEshutdown, "the server is shutting down");
  if (IsWriteType(request.type) && writable_ == nullptr) return fail(kEperm, "the export is read-only");
  uint16_t allowed = kCmdFlagFua;  // accepted on every command; meaningful on writes
  switch (request.type) {
    case kCmdRead:
      if (structured_) allowed |= kCmdFlagDf;
      break;
    case kCmdBlockStatus: allowed |= kCmdFlagReqOne; break;
    case kCmdWriteZeroes: allowed |= kCmdFlagNoHole; break;
    case kCmdWrite:
    case kCmdTrim:
    case kCmdFlush:
    case kCmdCache: break;
    default: return fail(kEinval, "unknown command");
  }
  if ((request.flags & ~allowed) != 0) return fail(kEinval, "flag not valid for this command");

  switch (request.type) {
    case kCmdFlush:
      if (writable_ == nullptr) return succeed();  // nothing is ever written
      break;
    case kCmdRead:
      if (request.length == 0) return fail(kEinval, "zero-length read");
      if (!InRange(request.offset, request.length, size)) return fail(kEinval, "read beyond the end of the export");
      if (request.length > kMaxPayload) {
        // Structured replies let the client retry smaller (EOVERFLOW); simple ones cannot.
        return fail(structured_ ? kEoverflow : kEinval, "read larger than the 32 MiB maximum");
      }
      break;
    case kCmdWrite:
      if (request.length > kMaxPayload) return fail(kEinval, "write larger than the 32 MiB maximum");
      [[fallthrough]];
    case kCmdWriteZeroes:
      if (!InRange(request.offset, request.length, size)) return fail(kEnospc, "write beyond the end of the export");
      if (request.length == 0) return succeed();
      break;
    case kCmdTrim:
      if (!InRange(request.offset, request.length, size)) return fail(kEinval, "trim beyond the end of the export");
      if (request.length == 0) return succeed();
      break;
    case kCmdBlockStatus:
      if (!structured_ || !meta_selected_) return fail(kEinval, "no metadata context negotiated");
      if (request.length == 0) return fail(kEinval, "zero-length block status");
      if (!InRange(request.offset, request.length, size)) return fail(kEinval, "block status beyond the end");
      break;
    case kCmdCache:
      if (!InRange(request.offset, request.length, size)) return fail(kEinval, "cache beyond the end");
      break;
  }

  // READ buffers its reply, WRITE holds its payload: both count against the byte limit.
  const uint64_t reserved = request.type == kCmdRead || request.type == kCmdWrite ? request.length : 0;
  inflight_bytes_ += reserved;
  if (request.type == kCmdRead && source_->IsReadReady(request.offset, request.length)) {
    // Everything the read needs is in memory: answering here saves two thread hand-offs,
    // most of a cached read's latency.
    Enqueue(Execute(request, payload), reserved);
    return;
  }
  auto data = std::make_shared<Bytes>(std::move(payload));
  // The work guard keeps the io_context running while the worker holds the request. The
  // worker hands its reference to the connection back to the strand with the reply: were it
  // dropped on the worker, after the guard, the connection could die there once the
  // io_context it belongs to is gone (found by nbd_transmission_fuzzer). The guard is on the
  // io_context's executor, not the strand: a strand copy released on the worker after the
  // guard could outlive the io_context's strand service (found by ASan).
  asio::post(workers_, [self = shared_from_this(), request, data, reserved,
                        work = asio::make_work_guard(strand_.get_inner_executor())]() mutable {
    Reply reply = self->Execute(request, *data);
    Strand strand = self->strand_;
    asio::post(strand, [self = std::move(self), reply = std::move(reply), reserved]() mutable {
      self->Enqueue(std::move(reply), reserved);
    });
  });
}

Reply Connection::Execute(const Request& request, const Bytes& payload) const {
  Reply reply(request.cookie);
  const bool fua = (request.flags & kCmdFlagFua) != 0;
  try {
    switch (request.type) {
      case kCmdWrite:
        writable_->Write(request.offset, payload, fua);
        reply.AppendSimple(0);
        break;
      case kCmdWriteZeroes:
        writable_->WriteZeroes(request.offset, request.length, (request.flags & kCmdFlagNoHole) == 0, fua);
        reply.AppendSimple(0);
        break;
      case kCmdTrim:
        writable_->Trim(request.offset, request.length, fua);
        reply.AppendSimple(0);
        break;
      case kCmdFlush:
        writable_->Flush();
        reply.AppendSimple(0);
        break;
      case kCmdRead: ExecuteRead(request, reply); break;
      case kCmdBlockStatus: ExecuteBlockStatus(request, reply); break;
      case kCmdCache:
        ExecuteCache(request);
        reply.AppendSimple(0);
        break;
    }
    return reply;
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, "nbd: " + export_->name + ": request at offset " + std::to_string(request.offset) +
                                " length " + std::to_string(request.length) + " failed: " + e.what());
    std::exception_ptr error = std::current_exception();
    return ErrorReply(request, NbdErrorFor(error), ClientMessageFor(error));
  }
}

void Connection::ExecuteRead(const Request& request, Reply& reply) const {
  const uint64_t offset = request.offset;
  const size_t length = request.length;
  const bool df = (request.flags & kCmdFlagDf) != 0;
  // Without structured replies or with DF the zeros are written out as one piece of data;
  // otherwise zero extents cost 12 bytes on the wire (OFFSET_HOLE).
  std::vector<ReadPiece> pieces;
  if (!structured_ || df) {
    pieces.push_back({offset, length, false, nullptr});
  } else {
    for (const Extent& e : source_->Extents(offset, length)) pieces.push_back({e.offset, e.length, e.zero, nullptr});
    uint64_t covered = 0;
    for (const ReadPiece& p : pieces) {
      if (p.offset != offset + covered) throw Error(ErrorKind::kIo, "extents of the export do not tile the read");
      covered += p.length;
    }
    if (covered != length) throw Error(ErrorKind::kIo, "extents of the export do not cover the read");
  }
  std::vector<SharedBytes> data;
  pieces = ReadPieces(std::move(pieces), data);
  reply.SetData(std::move(data));

  const auto failed = [](const ReadPiece& p) { return p.error != nullptr; };
  const size_t failures = static_cast<size_t>(std::count_if(pieces.begin(), pieces.end(), failed));
  if (!structured_) {
    // A simple reply cannot carry part of the data: the whole request fails.
    if (failures > 0) reply.AppendSimple(NbdErrorFor(std::find_if(pieces.begin(), pieces.end(), failed)->error));
    else reply.AppendSimple(0, length);
    return;
  }
  // Good content first, then one ERROR_OFFSET per failed range (spec §6.1: content covering
  // an error offset is never sent; the error chunks name the first byte of each bad range).
  // With DF at most one content chunk may go out: a partly failed DF read sends none.
  const bool send_content = !df || failures == 0;
  size_t left = send_content ? pieces.size() : failures;
  for (const ReadPiece& p : pieces) {
    if (failed(p) || !send_content) continue;
    const bool done = --left == 0;
    if (p.zero) reply.AppendOffsetHole(p.offset, static_cast<uint32_t>(p.length), done);
    else reply.AppendOffsetData(p.offset, p.offset - offset, p.length, done);
  }
  for (const ReadPiece& p : pieces) {
    if (!failed(p)) continue;
    reply.AppendErrorOffset(NbdErrorFor(p.error), ClientMessageFor(p.error), p.offset, --left == 0);
  }
}

std::vector<Connection::ReadPiece> Connection::ReadPieces(std::vector<ReadPiece> pieces,
                                                          std::vector<SharedBytes>& data) const {
  // Data pieces are read a block (the image's chunk) at a time so that a bad chunk fails
  // only its own range; good neighbours are merged back into one piece.
  const uint64_t block = export_->preferred_block;
  std::vector<ReadPiece> out;
  auto append = [&out](const ReadPiece& p) {
    ReadPiece* last = out.empty() ? nullptr : &out.back();
    if (last != nullptr && last->error == nullptr && p.error == nullptr && last->zero == p.zero &&
        last->offset + last->length == p.offset) {
      last->length += p.length;
    } else {
      out.push_back(p);
    }
  };
  for (const ReadPiece& piece : pieces) {
    if (piece.zero) {
      data.push_back({nullptr, ByteView(static_cast<const uint8_t*>(nullptr), piece.length)});
      append(piece);
      continue;
    }
    for (uint64_t at = piece.offset, end = piece.offset + piece.length; at < end;) {
      const uint64_t n = std::min(end, (at / block + 1) * block) - at;
      ReadPiece part{at, n, false, nullptr};
      try {
        std::vector<SharedBytes> got = source_->ReadShared(at, n);
        uint64_t total = 0;
        for (const SharedBytes& g : got) total += g.bytes.size();
        if (total != n) throw Error(ErrorKind::kIo, "short read from the export");
        data.insert(data.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
      } catch (const std::exception& e) {
        data.push_back({nullptr, ByteView(static_cast<const uint8_t*>(nullptr), n)});
        Log(LogLevel::kWarning, "nbd: " + export_->name + ": read of " + std::to_string(n) + " bytes at offset " +
                                    std::to_string(at) + " failed: " + e.what());
        part.error = std::current_exception();
      }
      append(part);
      at += n;
    }
  }
  return out;
}

void Connection::ExecuteBlockStatus(const Request& request, Reply& reply) const {
  std::vector<Extent> extents = source_->Extents(request.offset, request.length);
  std::vector<std::pair<uint32_t, uint32_t>> status;
  for (const Extent& e : extents) {
    // Lengths fit: extents are clipped to the request, whose length is 32-bit.
    status.emplace_back(static_cast<uint32_t>(e.length), e.zero ? kStateHole | kStateZero : 0);
    if ((request.flags & kCmdFlagReqOne) != 0 || status.size() == kMaxExtents) break;
  }
  if (status.empty()) throw Error(ErrorKind::kIo, "no extents for an in-range block status request");
  reply.AppendBlockStatus(kBaseAllocationId, status, true);
}

void Connection::ExecuteCache(const Request& request) const {
  // A hint (spec §6.6): reading the data extents pulls their chunks into the shared cache.
  // Failures are not reported; they cannot change what later reads return.
  const uint64_t end = request.offset + std::min<uint64_t>(request.length, kMaxCache);
  try {
    for (const Extent& e : source_->Extents(request.offset, end - request.offset)) {
      if (e.zero) continue;
      for (uint64_t at = e.offset; at < e.offset + e.length; at += kCachePiece) {
        source_->ReadShared(at, static_cast<size_t>(std::min(kCachePiece, e.offset + e.length - at)));
      }
    }
  } catch (const std::exception& e) {
    Log(LogLevel::kDebug, std::string("nbd: CACHE prefetch failed: ") + e.what());
  }
}

Reply Connection::ErrorReply(const Request& request, uint32_t error, std::string_view message) const {
  Reply reply(request.cookie);
  // READ must get a structured reply once they are negotiated; BLOCK_STATUS gets one so
  // the message reaches the client. Everything else gets a simple reply (spec §5.2).
  if (structured_ && (request.type == kCmdRead || request.type == kCmdBlockStatus)) {
    reply.AppendError(error, message, true);
  } else {
    reply.AppendSimple(error);
  }
  return reply;
}

void Connection::Enqueue(Reply reply, uint64_t reserved) {
  if (dead_) return Release(reserved);
  queue_.push_back({std::move(reply), reserved});
  if (!writing_) WriteNext();
}

void Connection::WriteNext() {
  writing_ = !queue_.empty() && !dead_;
  if (!writing_) return;
  std::vector<asio::const_buffer> buffers;
  while (!queue_.empty() && writing_batch_.size() < kMaxBatch) {
    writing_batch_.push_back(std::move(queue_.front()));
    queue_.pop_front();
    for (ByteView b : writing_batch_.back().reply.Buffers()) buffers.emplace_back(b.data(), b.size());
  }
  // Started here rather than in a coroutine of its own: the socket sends at once when it
  // can, before the reader goes back to the client for the next request.
  asio::async_write(stream_, buffers,
                    asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      for (const QueuedReply& q : self->writing_batch_) self->Release(q.reserved);
                      self->writing_batch_.clear();
                      if (ec) self->HardDisconnect("client gone: " + ec.message());
                      self->WriteNext();
                    }));
}

void Connection::Release(uint64_t reserved) {
  inflight_bytes_ -= reserved;
  --inflight_requests_;
  wake_.cancel();
}

void Connection::HardDisconnect(std::string_view why) {
  if (dead_) return;
  Log(LogLevel::kDebug, "nbd: connection " + std::to_string(id_) + " disconnected: " + std::string(why));
  dead_ = true;
  for (const QueuedReply& q : queue_) Release(q.reserved);
  queue_.clear();
  boost::system::error_code ignored;
  stream_.socket().shutdown(Socket::shutdown_both, ignored);
  wake_.cancel();
}

}  // namespace cairn::nbd
