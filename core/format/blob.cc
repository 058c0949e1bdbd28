#include "core/format/blob.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/util/error.h"
#include "core/util/hex.h"

namespace cairn {
namespace {

using Magic = std::array<uint8_t, 8>;
constexpr Magic kPlainMagic = {66, 171, 56, 7, 190, 131, 112, 161};
constexpr Magic kCompressedMagic = {49, 185, 88, 66, 111, 182, 163, 127};
constexpr Magic kEncryptedMagic = {123, 103, 133, 190, 34, 45, 76, 240};
constexpr Magic kEncryptedCompressedMagic = {230, 89, 27, 191, 11, 191, 216, 11};

const Magic& MagicOf(BlobKind kind) {
  switch (kind) {
    case BlobKind::kPlain: return kPlainMagic;
    case BlobKind::kCompressed: return kCompressedMagic;
    case BlobKind::kEncrypted: return kEncryptedMagic;
    case BlobKind::kEncryptedCompressed: return kEncryptedCompressedMagic;
  }
  return kPlainMagic;
}

struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// Streaming decode: frames with or without content size, and concatenated frames. Output
// beyond max_size is an error; we decode at most one byte past it to notice.
template <typename Buffer>
void ZstdDecompress(ByteView in, size_t max_size, Buffer& out) {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) throw std::bad_alloc();
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);

  const size_t limit = max_size + 1;
  unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  size_t capacity = declared < limit ? static_cast<size_t>(declared) + 1 : std::min<size_t>(limit, 1 << 20);
  out.resize(capacity);

  ZSTD_inBuffer input{in.data(), in.size(), 0};
  ZSTD_outBuffer output{out.data(), out.size(), 0};
  size_t pending = 1;  // non-zero while a frame is unfinished
  while (true) {
    if (output.pos == output.size) {
      if (output.size >= limit) break;
      out.resize(std::min(limit, output.size * 2));
      output.dst = out.data();
      output.size = out.size();
    }
    pending = ZSTD_decompressStream(dctx.get(), &output, &input);
    if (ZSTD_isError(pending)) {
      throw Error(ErrorKind::kCorrupt, std::string("zstd data is damaged: ") + ZSTD_getErrorName(pending));
    }
    if (input.pos == input.size && output.pos < output.size) break;
  }
  if (output.pos > max_size) {
    throw Error(ErrorKind::kCorrupt, "decompressed data exceeds the limit of " + std::to_string(max_size) + " bytes");
  }
  if (pending != 0) throw Error(ErrorKind::kCorrupt, "zstd data is truncated");
  out.resize(output.pos);
}

}  // namespace

BlobView ParseBlob(ByteView raw) {
  if (raw.size() < kBlobHeaderSize) {
    throw Error(ErrorKind::kCorrupt, "blob is " + std::to_string(raw.size()) + " bytes, shorter than its 12-byte header");
  }
  BlobView view{};
  bool known = false;
  for (BlobKind kind : {BlobKind::kPlain, BlobKind::kCompressed, BlobKind::kEncrypted, BlobKind::kEncryptedCompressed}) {
    if (std::memcmp(raw.data(), MagicOf(kind).data(), 8) == 0) {
      view.kind = kind;
      known = true;
    }
  }
  if (!known) throw Error(ErrorKind::kCorrupt, "unknown blob magic " + ToHex(raw.first(8)));
  view.stored_crc = LoadLE<uint32_t>(raw.data() + 8);
  if (view.encrypted()) {
    if (raw.size() < kEncryptedBlobHeaderSize) {
      throw Error(ErrorKind::kCorrupt, "encrypted blob is " + std::to_string(raw.size()) +
                                           " bytes, shorter than its 44-byte header");
    }
    view.iv = raw.subspan(12, 16);
    view.tag = raw.subspan(28, 16);
    view.payload = raw.subspan(kEncryptedBlobHeaderSize);
  } else {
    view.payload = raw.subspan(kBlobHeaderSize);
  }
  return view;
}

uint32_t Crc32(ByteView data) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  return static_cast<uint32_t>(crc32_z(crc, data.data(), data.size()));
}

void CheckBlobCrc(const BlobView& view) {
  uint32_t crc = Crc32(view.payload);
  if (crc != view.stored_crc) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "CRC mismatch (stored %08x, computed %08x)", view.stored_crc, crc);
    throw Error(ErrorKind::kCorrupt, buf);
  }
}

namespace {

// Decrypts and decompresses a parsed blob without looking at its CRC, into *recycled (see
// DecodeChunk) when given. Buffer: Bytes for blobs, AlignedBytes for chunks.
template <typename Buffer>
Buffer DecodePayload(const BlobView& view, const CryptConfig* crypt, size_t max_size, Buffer* recycled = nullptr) {
  Buffer out;
  if (recycled != nullptr) out.swap(*recycled);
  ByteView payload = view.payload;
  if (payload.size() > max_size && !view.compressed()) {
    throw Error(ErrorKind::kCorrupt, "blob data of " + std::to_string(payload.size()) +
                                         " bytes exceeds the limit of " + std::to_string(max_size));
  }
  Buffer decrypted;
  if (view.encrypted()) {
    if (crypt == nullptr) throw Error(ErrorKind::kCrypto, "blob is encrypted and no key was given");
    // Uncompressed: decrypted where the result goes.
    Buffer& plain = view.compressed() ? decrypted : out;
    plain.resize(payload.size());
    if (!AesGcmDecrypt(crypt->enc_key(), view.iv, view.tag, payload, plain)) {
      throw Error(ErrorKind::kCrypto, "decryption failed: wrong key or tampered data (GCM tag mismatch)");
    }
    if (!view.compressed()) return out;
    payload = decrypted;
  }
  if (view.compressed()) {
    ZstdDecompress(payload, max_size, out);
  } else {
    out.assign(payload.begin(), payload.end());
  }
  return out;
}

AlignedBytes DecodeVerifiedChunk(const BlobView& view, const Digest& digest, size_t expected_size,
                                 const CryptConfig* crypt, AlignedBytes* recycled) {
  AlignedBytes plain = DecodePayload(view, crypt, expected_size, recycled);
  if (plain.size() != expected_size) {
    throw Error(ErrorKind::kCorrupt, "chunk decodes to " + std::to_string(plain.size()) + " bytes, index says " +
                                         std::to_string(expected_size));
  }
  if (ChunkDigestOf(plain, crypt) != digest) {
    throw Error(ErrorKind::kCorrupt, "chunk content does not match its digest");
  }
  return plain;
}

}  // namespace

Bytes DecodeBlob(ByteView raw, const CryptConfig* crypt, size_t max_size) {
  BlobView view = ParseBlob(raw);
  CheckBlobCrc(view);
  return DecodePayload<Bytes>(view, crypt, max_size);
}

Digest ChunkDigestOf(ByteView plain, const CryptConfig* crypt) {
  return crypt != nullptr ? crypt->KeyedDigest(plain) : Sha256(plain);
}

AlignedBytes DecodeChunk(ByteView raw, const Digest& digest, size_t expected_size, const CryptConfig* crypt,
                         AlignedBytes* recycled) {
  BlobView view = ParseBlob(raw);
  try {
    return DecodeVerifiedChunk(view, digest, expected_size, crypt, recycled);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kCrypto && crypt == nullptr) throw;
    CheckBlobCrc(view);  // a damaged file is the likelier cause: say so
    throw;
  }
}

AlignedBytes DecodeChunk(AlignedBytes&& raw, const Digest& digest, size_t expected_size, const CryptConfig* crypt,
                         AlignedBytes* recycled) {
  BlobView view = ParseBlob(raw);
  if (view.kind != BlobKind::kPlain || view.payload.size() != expected_size ||
      ChunkDigestOf(view.payload, crypt) != digest) {
    // Decodes, or says what is wrong.
    return DecodeChunk(ByteView(raw), digest, expected_size, crypt, recycled);
  }
  raw.erase(raw.begin(), raw.begin() + kBlobHeaderSize);
  return std::move(raw);
}

Bytes EncodeBlob(ByteView plain, const CryptConfig* crypt, bool compress) {
  if (plain.size() > kMaxBlobSize) {
    throw Error(ErrorKind::kInvalidInput, "data of " + std::to_string(plain.size()) + " bytes exceeds the blob limit of 128 MiB");
  }
  Bytes compressed;
  ByteView payload = plain;
  if (compress) {
    compressed.resize(ZSTD_compressBound(plain.size()));
    size_t n = ZSTD_compress(compressed.data(), compressed.size(), plain.data(), plain.size(), 1);
    if (!ZSTD_isError(n) && n <= plain.size()) {
      compressed.resize(n);
      payload = compressed;
    } else {
      compress = false;
    }
  }
  size_t header = crypt ? kEncryptedBlobHeaderSize : kBlobHeaderSize;
  Bytes out(header);
  BlobKind kind = crypt ? (compress ? BlobKind::kEncryptedCompressed : BlobKind::kEncrypted)
                        : (compress ? BlobKind::kCompressed : BlobKind::kPlain);
  std::memcpy(out.data(), MagicOf(kind).data(), 8);
  if (crypt) {
    GcmIv iv;
    RandomBytes(iv);
    Bytes cipher;
    GcmTag tag = AesGcmEncrypt(crypt->enc_key(), iv, payload, cipher);
    std::memcpy(out.data() + 12, iv.data(), iv.size());
    std::memcpy(out.data() + 28, tag.data(), tag.size());
    out.insert(out.end(), cipher.begin(), cipher.end());
  } else {
    out.insert(out.end(), payload.begin(), payload.end());
  }
  StoreLE<uint32_t>(out.data() + 8, Crc32(ByteView(out).subspan(header)));
  return out;
}

}  // namespace cairn
