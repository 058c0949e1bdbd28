// A raw-socket NBD client for conformance checks: it sends exactly the bytes a test asks
// for, including malformed ones, and parses what comes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/util/bytes.h"

namespace cairn::test {

class RawNbdClient {
 public:
  // Connects to the unix socket at `path`; check connected().
  explicit RawNbdClient(const std::string& path);
  ~RawNbdClient();
  RawNbdClient(const RawNbdClient&) = delete;
  RawNbdClient& operator=(const RawNbdClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Send(ByteView bytes);
  // Exactly n bytes, or nullopt when the server closed (or nothing came for a long time).
  std::optional<Bytes> Receive(size_t n);
  // True when the server closed the connection (EOF), reading and discarding what comes first.
  bool ClosedByServer();
  // Stops sending (the server sees end-of-file) but keeps reading.
  void ShutdownWrite();

  // Reads the 18-byte greeting and answers with `client_flags`; false if it is malformed.
  bool Greet(uint32_t client_flags = 3);
  struct OptionReply {
    uint32_t option;
    uint32_t type;
    Bytes payload;
  };
  void SendOption(uint32_t option, ByteView data);
  std::optional<OptionReply> ReceiveOptionReply();
  // Sends an option and reads replies up to the final one (ACK or error); returns its type.
  std::optional<uint32_t> Option(uint32_t option, ByteView data = {});
  // Structured replies, then GO for `name`; false unless ACKed.
  bool Go(const std::string& name, bool structured = true, bool meta_context = false);

  void SendRequest(uint16_t flags, uint16_t type, uint64_t cookie, uint64_t offset, uint32_t length,
                   uint32_t magic = 0x25609513);
  // One simple reply or structured chunk.
  struct ReplyChunk {
    bool structured;
    uint16_t flags;    // structured only
    uint16_t type;     // structured only
    uint32_t error;    // simple only
    uint64_t cookie;
    Bytes payload;     // structured only
  };
  // `read_length`: data bytes following a successful simple reply to a READ.
  std::optional<ReplyChunk> ReceiveReply(size_t read_length = 0);

 private:
  int fd_ = -1;
};

// Option payload for INFO/GO: name and info requests.
Bytes GoPayload(const std::string& name, std::initializer_list<uint16_t> infos = {});
// Option payload for LIST/SET_META_CONTEXT.
Bytes MetaContextPayload(const std::string& name, std::initializer_list<std::string> queries);

}  // namespace cairn::test
