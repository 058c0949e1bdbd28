// A buffer that is a private anonymous mapping of its own: none of its pages is resident
// until written, and all of them go back to the kernel when it is destroyed. For short-lived
// buffers of up to megabytes that must not leave memory behind once freed; the heap keeps
// freed memory of that size in each thread's arena until a trim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cairn {

class AnonymousMapping {
 public:
  // `bytes` may be 0 (no mapping). Throws std::bad_alloc when the kernel refuses the mapping.
  explicit AnonymousMapping(size_t bytes);
  ~AnonymousMapping();
  AnonymousMapping(const AnonymousMapping&) = delete;
  AnonymousMapping& operator=(const AnonymousMapping&) = delete;

  // Zeros until written.
  std::span<uint8_t> bytes() const { return {data_, size_}; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cairn
