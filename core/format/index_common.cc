#include "core/format/index_common.h"

#include <algorithm>
#include <cstring>

#include "core/util/hex.h"

namespace cairn {

IndexHeader ParseIndexHeader(ByteView file, const IndexMagic& magic, std::string_view kind) {
  if (file.size() < kIndexHeaderSize) {
    throw Error(ErrorKind::kCorrupt, std::string(kind) + " is " + std::to_string(file.size()) +
                                         " bytes, shorter than its 4096-byte header");
  }
  if (!std::equal(magic.begin(), magic.end(), file.begin())) {
    throw Error(ErrorKind::kCorrupt, "not a " + std::string(kind) + ": magic is " +
                                         ToHex(file.first(magic.size())) + ", expected " + ToHex(magic));
  }
  IndexHeader header;
  std::memcpy(header.uuid.data(), file.data() + kIndexUuidOffset, header.uuid.size());
  header.ctime = LoadLE<int64_t>(file.data() + kIndexCtimeOffset);
  std::memcpy(header.csum.data(), file.data() + kIndexCsumOffset, header.csum.size());
  return header;
}

void CheckIndexCsum(const Digest& stored, const Digest& computed, std::string_view kind) {
  if (stored != computed) {
    throw Error(ErrorKind::kCorrupt, std::string(kind) + " checksum mismatch (stored " + ToHex(stored) +
                                         ", computed " + ToHex(computed) + ")");
  }
}

Bytes NewIndexHeader(const IndexMagic& magic, const IndexHeader& header) {
  Bytes out(kIndexHeaderSize, 0);
  std::memcpy(out.data(), magic.data(), magic.size());
  std::memcpy(out.data() + kIndexUuidOffset, header.uuid.data(), header.uuid.size());
  StoreLE<int64_t>(out.data() + kIndexCtimeOffset, header.ctime);
  std::memcpy(out.data() + kIndexCsumOffset, header.csum.data(), header.csum.size());
  return out;
}

}  // namespace cairn
