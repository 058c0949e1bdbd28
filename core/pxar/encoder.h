// Writes a pxar archive, format version 1 (unified .pxar, spec §2, §9) or, given a payload
// sink, version 2 (split .mpxar metadata + .ppxar payload stream, spec §5), as byte streams
// handed to a sink piece by piece: nothing but the open directories' goodbye records is held
// in memory, so trees and files of any size stream through. The output is byte-identical to
// what the Rust pxar encoder writes for the same sequence of calls.
//
// Calls describe the tree in pre-order: the root's metadata at construction, then for each
// directory its children (BeginDirectory ... EndDirectory nest), then Finish(). Children should
// be added sorted by raw name bytes (what PBS does); the encoder does not reorder them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pxar/format.h"
#include "core/util/bytes.h"

namespace cairn::pxar {

class Encoder {
 public:
  using Sink = std::function<void(ByteView)>;

  // Writes the root directory's ENTRY and attributes. REQUIRES root.stat.mode is a directory.
  // Throws Error(kInvalidInput) for metadata the format cannot hold (as every method does).
  // With `payload` the archive is split (v2): file contents go there, `prelude` (may be
  // empty: none) is written after the FORMAT_VERSION item.
  Encoder(Sink sink, const Metadata& root, Sink payload = {}, std::string_view prelude = {});

  // Bytes written so far (the offset of the next item).
  uint64_t position() const { return pos_; }

  // Starts regular file `name` of `size` bytes; returns the offset of its FILENAME item (what
  // a later AddHardlink to it needs). Then exactly `size` bytes follow through WriteFileData,
  // and EndFile(). Other calls are refused until then.
  uint64_t BeginFile(std::string_view name, const Metadata& meta, uint64_t size);
  void WriteFileData(ByteView data);
  void EndFile();

  void AddSymlink(std::string_view name, const Metadata& meta, std::string_view target);
  // Character or block device (by meta.stat.mode).
  void AddDevice(std::string_view name, const Metadata& meta, uint64_t major, uint64_t minor);
  // FIFO or socket (by meta.stat.mode): no body.
  void AddSpecial(std::string_view name, const Metadata& meta);
  // A further name for the regular file whose FILENAME is at `target_offset` (from
  // BeginFile) and whose path relative to the root is `target_path` (no leading '/').
  void AddHardlink(std::string_view name, std::string_view target_path, uint64_t target_offset);

  void BeginDirectory(std::string_view name, const Metadata& meta);
  void EndDirectory();

  // Closes the root directory. REQUIRES every BeginDirectory was ended.
  void Finish();

 private:
  struct OpenDirectory {
    uint64_t entry_start;     // offset of the directory's ENTRY
    uint64_t filename_start;  // offset of its FILENAME (root: 0)
    uint64_t name_hash;       // hash of its name (root: unused)
    std::vector<GoodbyeItem> children;  // offset field holds the child's FILENAME start
  };

  void Write(ByteView data);
  void WriteHeader(uint64_t htype, uint64_t content_size);
  void WriteItem(uint64_t htype, ByteView content);
  void WriteMetadata(const Metadata& meta);
  // Writes FILENAME for a new child and returns its offset.
  uint64_t BeginChild(std::string_view name);
  void EndChild(std::string_view name, uint64_t filename_start);
  void CheckIdle(std::string_view what) const;
  void CloseDirectory(OpenDirectory& dir);

  void WritePayload(ByteView data);

  Sink sink_;
  Sink payload_;             // split archives: the .ppxar stream
  uint64_t pos_ = 0;
  uint64_t payload_pos_ = 0;  // bytes written to payload_
  std::vector<OpenDirectory> stack_;  // the root first
  // The file between BeginFile and EndFile.
  bool in_file_ = false;
  std::string file_name_;
  uint64_t file_start_ = 0;
  uint64_t file_remaining_ = 0;
  uint64_t file_size_ = 0;
  bool finished_ = false;
};

}  // namespace cairn::pxar
