#include "core/verify/chunk_check.h"

#include "core/format/blob.h"
#include "core/util/error.h"

namespace cairn {

void CheckChunk(ByteView raw, const Digest& digest, size_t expected_size, bool encrypted, const CryptConfig* crypt) {
  BlobView view = ParseBlob(raw);
  if (view.encrypted() != encrypted) {
    throw Error(ErrorKind::kCorrupt, encrypted ? "chunk is not encrypted but its archive is"
                                               : "chunk is encrypted but its archive is not");
  }
  CheckBlobCrc(view);  // verify checks everything, as PBS's does; reads skip the CRC
  if (encrypted && crypt == nullptr) return;
  DecodeChunk(raw, digest, expected_size, crypt);
}

}  // namespace cairn
