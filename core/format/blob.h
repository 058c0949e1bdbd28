// DataBlob (spec §2): the container of every chunk file and every *.blob file.
//
//   unencrypted: magic(8) | crc32 LE(4) | payload (raw or one zstd frame)
//   encrypted:   magic(8) | crc32 LE(4) | iv(16) | tag(16) | AES-256-GCM ciphertext
//
// The CRC covers only the bytes after the header. Compression happens before encryption.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/crypto/crypt_config.h"
#include "core/util/aligned_bytes.h"
#include "core/util/bytes.h"

namespace cairn {

enum class BlobKind { kPlain, kCompressed, kEncrypted, kEncryptedCompressed };

inline constexpr size_t kBlobHeaderSize = 12;
inline constexpr size_t kEncryptedBlobHeaderSize = 44;
// DataBlob::encode in PBS refuses larger plaintext; we apply the same cap when decoding blob
// files so that a hostile file cannot make us allocate without bound.
inline constexpr size_t kMaxBlobSize = 128 << 20;

// The parsed header of a blob; views point into the caller's buffer.
struct BlobView {
  BlobKind kind;
  uint32_t stored_crc;
  ByteView iv;       // empty unless encrypted
  ByteView tag;      // empty unless encrypted
  ByteView payload;  // everything the CRC covers

  bool encrypted() const { return kind == BlobKind::kEncrypted || kind == BlobKind::kEncryptedCompressed; }
  bool compressed() const { return kind == BlobKind::kCompressed || kind == BlobKind::kEncryptedCompressed; }
};

// Fuzzable entry point: checks the magic and the minimum size. Throws Error(kCorrupt).
BlobView ParseBlob(ByteView raw);

uint32_t Crc32(ByteView data);

// Throws Error(kCorrupt) when the stored CRC does not match the payload.
void CheckBlobCrc(const BlobView& view);

// Decodes a blob: checks the CRC, decrypts (REQUIRES crypt when encrypted, else throws
// kCrypto), decompresses. Throws kCorrupt when the CRC fails, the zstd data is damaged or
// the result would exceed max_size bytes.
Bytes DecodeBlob(ByteView raw, const CryptConfig* crypt, size_t max_size = kMaxBlobSize);

// Like DecodeBlob for a chunk: the result must be exactly expected_size bytes and its
// (keyed, when encrypted) SHA-256 must equal `digest`. Errors carry no file context.
// The CRC is checked only when decoding fails, to report a damaged file as a CRC mismatch:
// the digest (and the GCM tag, when encrypted) already proves every byte, and skipping
// the CRC saves a pass over every chunk read.
// `recycled`, when given: memory to decode into, whatever it holds (a freed chunk's buffer),
// since a fresh buffer is zeroed and page-faulted in, which costs as much as decompressing
// into it. The result takes it (leaving it empty) unless it needs no memory of its own.
AlignedBytes DecodeChunk(ByteView raw, const Digest& digest, size_t expected_size, const CryptConfig* crypt,
                         AlignedBytes* recycled = nullptr);
// The same, taking the encoded bytes (a fetched chunk file): an uncompressed, unencrypted
// chunk is checked where it lies and becomes the result with its header cut off, instead of
// a copy in a second buffer.
AlignedBytes DecodeChunk(AlignedBytes&& raw, const Digest& digest, size_t expected_size, const CryptConfig* crypt,
                         AlignedBytes* recycled = nullptr);

// The digest a chunk of this plaintext has: SHA-256, or the keyed digest with a key.
Digest ChunkDigestOf(ByteView plain, const CryptConfig* crypt);

// Encodes `plain`. With `compress`, zstd level 1 is used when the result is not larger (as
// PBS 4.x does). With crypt, the payload is encrypted under a fresh random IV.
Bytes EncodeBlob(ByteView plain, const CryptConfig* crypt, bool compress);

}  // namespace cairn
