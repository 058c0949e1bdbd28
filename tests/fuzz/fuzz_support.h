// Shared pieces of the libFuzzer targets (tests/fuzz/*_fuzzer.cc). Each target feeds bytes
// to one parser's fuzzable entry point; cairn::Error is the expected way to reject input,
// anything else (a crash, a sanitizer report, another exception) is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/crypto/crypt_config.h"
#include "core/crypto/sha256.h"
#include "core/util/bytes.h"
#include "core/util/error.h"

namespace cairn::fuzz {

inline ByteView Input(const uint8_t* data, size_t size) { return ByteView(data, size); }

// The key 00 01 .. 1f of the spec's vectors, so that encrypted seeds decode.
inline const CryptConfig& SpecKey() {
  static const CryptConfig config = [] {
    AesKey key{};
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
    return CryptConfig(key);
  }();
  return config;
}

// Index files keep a SHA-256 of their body at offset 32 of the 4096-byte header. Random
// mutations almost never keep it right, so targets also parse a copy whose checksum is
// recomputed over `covered` (the digests or the whole body): that reaches the checks behind it.
inline Bytes WithFixedIndexCsum(ByteView file, ByteView covered) {
  Bytes copy(file.begin(), file.end());
  if (copy.size() >= 64) {
    Digest csum = Sha256(covered);
    std::memcpy(copy.data() + 32, csum.data(), csum.size());
  }
  return copy;
}

// Both index kinds: parse as found and with the checksum recomputed over the body, then use
// every accessor that does arithmetic on what was parsed.
template <typename Index>
void FuzzIndex(ByteView file) {
  auto use = [](const Index& index) {
    for (size_t i = 0; i < index.chunk_count(); ++i) (void)index.chunk_length(i);
    (void)index.ChunkIndexAt(index.size() / 2);
    (void)index.ChunkIndexAt(index.size());
  };
  try {
    use(Index::Parse(file));
  } catch (const Error&) {
  }
  if (file.size() <= 4096) return;
  Bytes fixed = WithFixedIndexCsum(file, file.subspan(4096));
  try {
    use(Index::Parse(fixed));
  } catch (const Error&) {
  }
}

}  // namespace cairn::fuzz

// Runs `body`, accepting cairn::Error as a rejection of the input.
#define CAIRN_FUZZ_ACCEPT_ERRORS(body) \
  try {                                \
    body;                              \
  } catch (const cairn::Error&) {      \
  }
