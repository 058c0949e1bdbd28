#include "core/crypto/sha256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <new>

namespace cairn {

Digest Sha256(ByteView data) {
  Digest out;
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha256(), nullptr);
  return out;
}

struct Sha256Hasher::State {
  EVP_MD_CTX* ctx;
};

Sha256Hasher::Sha256Hasher() : state_(new State{EVP_MD_CTX_new()}) {
  if (state_->ctx == nullptr) throw std::bad_alloc();
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(state_->ctx);
  delete state_;
}

void Sha256Hasher::Update(ByteView data) { EVP_DigestUpdate(state_->ctx, data.data(), data.size()); }

Digest Sha256Hasher::Finish() {
  Digest out;
  EVP_DigestFinal_ex(state_->ctx, out.data(), nullptr);
  return out;
}

Digest HmacSha256(ByteView key, ByteView message) {
  Digest out;
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(),
       out.data(), &len);
  return out;
}

}  // namespace cairn
