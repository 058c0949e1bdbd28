// Byte buffers and little-endian field access, the vocabulary of every on-disk format.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace cairn {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// REQUIRES: p points at sizeof(T) readable bytes. The formats are little-endian and so is
// every platform we build for (checked in CMakeLists.txt), so a memcpy is the decode.
template <typename T>
T LoadLE(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void StoreLE(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

template <typename T>
void AppendLE(Bytes& out, T v) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  StoreLE(out.data() + at, v);
}

}  // namespace cairn
