// The bytes of one transmission-phase reply (spec §5.2, §5.3): a simple reply, or a run of
// structured chunks for one cookie. A reply is built completely before any of it is sent,
// and the writer sends each reply's bytes contiguously (spec §12 item 8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/read/block_source.h"
#include "core/util/bytes.h"

namespace cairn::nbd {

class Reply {
 public:
  explicit Reply(uint64_t cookie) : cookie_(cookie) {}

  // The bytes of a READ, in order from the request's offset, before AppendSimple or
  // AppendOffsetData refer to them. Sent from where they lie (decoded chunks, a zero
  // block), never copied; the reply keeps them alive. Bytes no chunk refers to (holes,
  // failed ranges) may be null-owner pieces.
  void SetData(std::vector<SharedBytes> data);

  // Simple reply header (§5.2), followed by data_[0, data_length) for a successful READ.
  void AppendSimple(uint32_t error, size_t data_length = 0);
  // Structured chunks (§5.3). `done` sets NBD_REPLY_FLAG_DONE; it goes on the last chunk.
  // OFFSET_DATA sends data_[data_offset, data_offset + length) as the bytes at `offset`.
  void AppendOffsetData(uint64_t offset, size_t data_offset, size_t length, bool done);
  void AppendOffsetHole(uint64_t offset, uint32_t length, bool done);
  // `extents` are (length, status flags) pairs, at least one.
  void AppendBlockStatus(uint32_t context_id, std::span<const std::pair<uint32_t, uint32_t>> extents, bool done);
  // NBD_REPLY_TYPE_ERROR; the message is cut to the protocol's string limit.
  void AppendError(uint32_t error, std::string_view message, bool done);
  // NBD_REPLY_TYPE_ERROR_OFFSET: the read failed at byte `offset`; other chunks may still
  // carry good data for the rest of the request. Never mixed with AppendError in one reply.
  void AppendErrorOffset(uint32_t error, std::string_view message, uint64_t offset, bool done);

  uint64_t cookie() const { return cookie_; }
  // The wire bytes in order, as pieces of this reply's memory and of its data.
  std::vector<ByteView> Buffers() const;
  // Wire bytes of the whole reply.
  size_t wire_size() const { return wire_size_; }

 private:
  void AppendChunkHeader(uint16_t flags, uint16_t type, uint32_t length);
  // ERROR or ERROR_OFFSET (with `offset`).
  void AppendErrorChunk(uint16_t type, uint32_t error, std::string_view message, std::optional<uint64_t> offset,
                        bool done);
  // A part of the wire bytes: control_[offset, offset + length) when `bytes` is empty,
  // else `bytes` (read data, sent where it lies).
  struct Piece {
    size_t offset;
    size_t length;
    ByteView bytes;
  };
  // Marks control_[from, end) as the next piece, merging with a preceding control piece.
  void AddControlPiece(size_t from);
  // Appends data bytes [offset, offset + length) of the request as pieces.
  void AddDataPieces(size_t offset, size_t length);

  uint64_t cookie_;
  Bytes control_;                   // headers and small payloads
  std::vector<SharedBytes> data_;   // READ data, in order
  std::vector<size_t> data_starts_; // data_[i] holds the request's bytes from data_starts_[i]
  std::vector<Piece> pieces_;       // wire order
  size_t wire_size_ = 0;
};

}  // namespace cairn::nbd
