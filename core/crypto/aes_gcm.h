// AES-256-GCM as PBS uses it: 16-byte IV (not the usual 12), empty AAD, 16-byte tag.
#pragma once

#include <array>
#include <cstdint>

#include "core/util/bytes.h"

namespace cairn {

using AesKey = std::array<uint8_t, 32>;
using GcmIv = std::array<uint8_t, 16>;
using GcmTag = std::array<uint8_t, 16>;

// Encrypts `plain` into `cipher` (resized to plain.size()) and returns the tag.
GcmTag AesGcmEncrypt(const AesKey& key, const GcmIv& iv, ByteView plain, Bytes& cipher);

// Decrypts and authenticates into `plain`; returns false (and leaves `plain` unspecified)
// when the tag does not match, i.e. wrong key or tampered data.
// REQUIRES: plain.size() == cipher.size().
bool AesGcmDecrypt(const AesKey& key, ByteView iv, ByteView tag, ByteView cipher, std::span<uint8_t> plain);

// Fills `out` with cryptographically secure random bytes.
void RandomBytes(std::span<uint8_t> out);

}  // namespace cairn
