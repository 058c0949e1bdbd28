#include "core/crypto/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "core/util/error.h"

namespace cairn {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

CipherCtx NewGcmContext(const uint8_t* key, const uint8_t* iv, size_t iv_len, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw Error(ErrorKind::kCrypto, "cannot allocate cipher context");
  int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv_len), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key, iv, enc) != 1) {
    throw Error(ErrorKind::kCrypto, "cannot initialise AES-256-GCM");
  }
  return ctx;
}

// EVP_CipherUpdate takes an int length; feed large buffers in pieces.
void CipherUpdate(EVP_CIPHER_CTX* ctx, ByteView in, uint8_t* out) {
  constexpr size_t kStep = 1 << 30;
  for (size_t done = 0; done < in.size(); done += kStep) {
    int n = static_cast<int>(std::min(kStep, in.size() - done));
    int written = 0;
    if (EVP_CipherUpdate(ctx, out + done, &written, in.data() + done, n) != 1) {
      throw Error(ErrorKind::kCrypto, "AES-256-GCM update failed");
    }
  }
}

}  // namespace

GcmTag AesGcmEncrypt(const AesKey& key, const GcmIv& iv, ByteView plain, Bytes& cipher) {
  CipherCtx ctx = NewGcmContext(key.data(), iv.data(), iv.size(), true);
  cipher.resize(plain.size());
  CipherUpdate(ctx.get(), plain, cipher.data());
  int written = 0;
  uint8_t scratch[16];
  GcmTag tag;
  if (EVP_CipherFinal_ex(ctx.get(), scratch, &written) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag.size(), tag.data()) != 1) {
    throw Error(ErrorKind::kCrypto, "AES-256-GCM finalisation failed");
  }
  return tag;
}

bool AesGcmDecrypt(const AesKey& key, ByteView iv, ByteView tag, ByteView cipher, std::span<uint8_t> plain) {
  CipherCtx ctx = NewGcmContext(key.data(), iv.data(), iv.size(), false);
  CipherUpdate(ctx.get(), cipher, plain.data());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                          const_cast<uint8_t*>(tag.data())) != 1) {
    return false;
  }
  int written = 0;
  uint8_t scratch[16];
  return EVP_CipherFinal_ex(ctx.get(), scratch, &written) == 1;
}

void RandomBytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw Error(ErrorKind::kCrypto, "the system random number generator failed");
  }
}

}  // namespace cairn
