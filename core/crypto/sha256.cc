#include "core/crypto/sha256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <new>

namespace cairn {

namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Digest Sha256(ByteView data) {
  // The algorithm fetched once and a context per thread: EVP_Digest fetches and allocates
  // both on every call, which costs more than hashing a short string (a mount hashes a path
  // for the inode number of every entry it lists).
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (md == nullptr || ctx == nullptr) throw std::bad_alloc();
  Digest out;
  EVP_DigestInit_ex2(ctx.get(), md, nullptr);
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), nullptr);
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
