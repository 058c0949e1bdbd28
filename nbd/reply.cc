#include "nbd/reply.h"

#include <algorithm>

#include "nbd/protocol.h"

namespace cairn::nbd {

void Reply::SetData(std::vector<SharedBytes> data) {
  data_ = std::move(data);
  data_starts_.clear();
  size_t start = 0;
  for (const SharedBytes& piece : data_) {
    data_starts_.push_back(start);
    start += piece.bytes.size();
  }
}

void Reply::AddControlPiece(size_t from) {
  size_t length = control_.size() - from;
  wire_size_ += length;
  if (!pieces_.empty() && pieces_.back().bytes.empty()) {
    pieces_.back().length += length;
  } else {
    pieces_.push_back({from, length, {}});
  }
}

void Reply::AddDataPieces(size_t offset, size_t length) {
  wire_size_ += length;
  // The data piece holding `offset`: the last one starting at or before it.
  size_t i = static_cast<size_t>(std::upper_bound(data_starts_.begin(), data_starts_.end(), offset) -
                                 data_starts_.begin()) - 1;
  for (size_t end = offset + length; offset < end; ++i) {
    const SharedBytes& piece = data_.at(i);
    const size_t from = offset - data_starts_[i];
    const size_t n = std::min(end - offset, piece.bytes.size() - from);
    ForEachBuffer(piece, from, n, [&](ByteView bytes) { pieces_.push_back({0, bytes.size(), bytes}); });
    offset += n;
  }
}

std::vector<ByteView> Reply::Buffers() const {
  std::vector<ByteView> buffers;
  buffers.reserve(pieces_.size());
  for (const Piece& p : pieces_) {
    buffers.push_back(p.bytes.empty() ? ByteView(control_).subspan(p.offset, p.length) : p.bytes);
  }
  return buffers;
}

void Reply::AppendSimple(uint32_t error, size_t data_length) {
  size_t from = control_.size();
  AppendBE<uint32_t>(control_, kSimpleReplyMagic);
  AppendBE<uint32_t>(control_, error);
  AppendBE<uint64_t>(control_, cookie_);
  AddControlPiece(from);
  if (data_length > 0) AddDataPieces(0, data_length);
}

void Reply::AppendChunkHeader(uint16_t flags, uint16_t type, uint32_t length) {
  AppendBE<uint32_t>(control_, kStructuredReplyMagic);
  AppendBE<uint16_t>(control_, flags);
  AppendBE<uint16_t>(control_, type);
  AppendBE<uint64_t>(control_, cookie_);
  AppendBE<uint32_t>(control_, length);
}

void Reply::AppendOffsetData(uint64_t offset, size_t data_offset, size_t length, bool done) {
  size_t from = control_.size();
  AppendChunkHeader(done ? kReplyFlagDone : 0, kReplyTypeOffsetData, static_cast<uint32_t>(8 + length));
  AppendBE<uint64_t>(control_, offset);
  AddControlPiece(from);
  AddDataPieces(data_offset, length);
}

void Reply::AppendOffsetHole(uint64_t offset, uint32_t length, bool done) {
  size_t from = control_.size();
  AppendChunkHeader(done ? kReplyFlagDone : 0, kReplyTypeOffsetHole, 12);
  AppendBE<uint64_t>(control_, offset);
  AppendBE<uint32_t>(control_, length);
  AddControlPiece(from);
}

void Reply::AppendBlockStatus(uint32_t context_id, std::span<const std::pair<uint32_t, uint32_t>> extents,
                              bool done) {
  size_t from = control_.size();
  AppendChunkHeader(done ? kReplyFlagDone : 0, kReplyTypeBlockStatus, static_cast<uint32_t>(4 + 8 * extents.size()));
  AppendBE<uint32_t>(control_, context_id);
  for (const auto& [length, flags] : extents) {
    AppendBE<uint32_t>(control_, length);
    AppendBE<uint32_t>(control_, flags);
  }
  AddControlPiece(from);
}

void Reply::AppendErrorChunk(uint16_t type, uint32_t error, std::string_view message,
                             std::optional<uint64_t> offset, bool done) {
  message = message.substr(0, std::min(message.size(), kMaxStringLength));
  size_t from = control_.size();
  const uint32_t length = static_cast<uint32_t>(6 + message.size() + (offset ? 8 : 0));
  AppendChunkHeader(done ? kReplyFlagDone : 0, type, length);
  AppendBE<uint32_t>(control_, error);
  AppendBE<uint16_t>(control_, static_cast<uint16_t>(message.size()));
  AppendString(control_, message);
  if (offset) AppendBE<uint64_t>(control_, *offset);
  AddControlPiece(from);
}

void Reply::AppendError(uint32_t error, std::string_view message, bool done) {
  AppendErrorChunk(kReplyTypeError, error, message, std::nullopt, done);
}

void Reply::AppendErrorOffset(uint32_t error, std::string_view message, uint64_t offset, bool done) {
  AppendErrorChunk(kReplyTypeErrorOffset, error, message, offset, done);
}

}  // namespace cairn::nbd
