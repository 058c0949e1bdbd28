// Byte buffers whose storage starts on a page boundary, as direct I/O (O_DIRECT) needs, and
// whose resize leaves new bytes uninitialized: a read overwrites them anyway, and zeroing
// megabytes first would cost as much as reading them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "core/util/bytes.h"

namespace cairn {

inline constexpr size_t kPageAlignment = 4096;

// Page-aligned storage of `bytes` bytes, and its release (with the same `bytes`). Buffers
// of at least BufferHugePageSize() bytes are mapped on their own, aligned to and advised
// for transparent huge pages; smaller ones come from the heap (aligned_bytes.cc says why).
void* AllocatePageAligned(size_t bytes);
void FreePageAligned(void* storage, size_t bytes) noexcept;
// The kernel's transparent huge page size when buffers use them; 0 when the kernel does not
// back advised mappings with huge pages, and in ASan builds (which check heap bounds only).
size_t BufferHugePageSize();

template <typename T>
struct PageAlignedAllocator {
  using value_type = T;

  PageAlignedAllocator() = default;
  template <typename U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) noexcept {}

  T* allocate(size_t n) { return static_cast<T*>(AllocatePageAligned(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { FreePageAligned(p, n * sizeof(T)); }
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
