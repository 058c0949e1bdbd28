// Byte buffers whose storage starts on a page boundary, as direct I/O (O_DIRECT) needs, and
// whose resize leaves new bytes uninitialized: a read overwrites them anyway, and zeroing
// megabytes first would cost as much as reading them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "core/util/bytes.h"

namespace cairn {

inline constexpr size_t kPageAlignment = 4096;

template <typename T>
struct PageAlignedAllocator {
  using value_type = T;

  PageAlignedAllocator() = default;
  template <typename U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) noexcept {}

  // Over-allocates by a page and keeps the start of the allocation just before the aligned
  // storage. Not aligned new: glibc serves that with memalign, which maps and unmaps every
  // multi-megabyte buffer (a page fault per 4 KiB each time), where plain allocations of
  // that size are reused from the heap.
  T* allocate(size_t n) {
    auto* raw = static_cast<uint8_t*>(::operator new(n * sizeof(T) + kPageAlignment));
    auto* aligned = raw + kPageAlignment - reinterpret_cast<uintptr_t>(raw) % kPageAlignment;
    std::memcpy(aligned - sizeof(raw), &raw, sizeof(raw));
    return reinterpret_cast<T*>(aligned);
  }
  void deallocate(T* p, size_t) noexcept {
    uint8_t* raw;
    std::memcpy(&raw, reinterpret_cast<uint8_t*>(p) - sizeof(raw), sizeof(raw));
    ::operator delete(raw);
  }
  // Default-initializes: resize() leaves bytes as they are.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const PageAlignedAllocator<U>&) const noexcept {
    return true;
  }
};

using AlignedBytes = std::vector<uint8_t, PageAlignedAllocator<uint8_t>>;

// Equal content (either order, C++20).
inline bool operator==(const AlignedBytes& a, const Bytes& b) { return std::ranges::equal(a, b); }

}  // namespace cairn
