#include "core/util/base64.h"

#include <openssl/evp.h>

#include <algorithm>

namespace cairn {
namespace {

// The 6-bit value of an alphabet character, or -1.
int SextetValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string Base64Encode(ByteView data) {
  std::string out;
  out.reserve(4 * ((data.size() + 2) / 3));
  // EVP_EncodeBlock takes an int length and writes a trailing NUL; feed it pieces that are a
  // multiple of 3 bytes so that only the last one can carry padding.
  constexpr size_t kStep = 3 << 20;
  std::string buffer;
  for (size_t done = 0; done < data.size(); done += kStep) {
    ByteView piece = data.subspan(done, std::min(kStep, data.size() - done));
    buffer.resize(4 * ((piece.size() + 2) / 3) + 1);
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(buffer.data()), piece.data(),
                            static_cast<int>(piece.size()));
    out.append(buffer.data(), static_cast<size_t>(n));
  }
  return out;
}

std::optional<Bytes> Base64Decode(std::string_view text) {
  // Strip the padding, then require that what remains is alphabet only and that the padding
  // (if any) was exactly what completes the last group of four.
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  std::string_view body = text.substr(0, text.size() - padding);
  for (char c : body) {
    if (SextetValue(c) < 0) return std::nullopt;
  }
  size_t tail = body.size() % 4;
  if (tail == 1) return std::nullopt;
  if (padding > 0 && (tail == 0 || tail + padding != 4)) return std::nullopt;
  if (tail != 0) {
    // The last character carries bits beyond the data; a canonical encoder leaves them zero,
    // and PBS's decoder (the Rust base64 crate) rejects them otherwise.
    int last = SextetValue(body.back());
    if ((tail == 2 && (last & 0x0f) != 0) || (tail == 3 && (last & 0x03) != 0)) return std::nullopt;
  }

  // EVP_DecodeBlock wants complete groups of four, and returns the length including the
  // bytes that padding stands for; we cut those off ourselves.
  std::string padded(body);
  size_t missing = tail == 0 ? 0 : 4 - tail;
  padded.append(missing, '=');
  Bytes out(padded.size() / 4 * 3);
  constexpr size_t kStep = 4 << 20;  // characters per EVP_DecodeBlock call (an int length)
  for (size_t done = 0; done < padded.size(); done += kStep) {
    size_t piece = std::min(kStep, padded.size() - done);
    int n = EVP_DecodeBlock(out.data() + done / 4 * 3,
                            reinterpret_cast<const unsigned char*>(padded.data() + done),
                            static_cast<int>(piece));
    if (n < 0 || static_cast<size_t>(n) != piece / 4 * 3) return std::nullopt;
  }
  out.resize(out.size() - missing);
  return out;
}

}  // namespace cairn
