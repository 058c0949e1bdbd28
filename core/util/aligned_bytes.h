// Byte buffers whose storage starts on a page boundary, as direct I/O (O_DIRECT) needs, and
// whose resize leaves new bytes uninitialized: a read overwrites them anyway, and zeroing
// megabytes first would cost as much as reading them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace cairn {

inline constexpr size_t kPageAlignment = 4096;

template <typename T>
struct PageAlignedAllocator {
  using value_type = T;

  PageAlignedAllocator() = default;
  template <typename U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kPageAlignment}));
  }
  void deallocate(T* p, size_t n) noexcept {
    ::operator delete(p, n * sizeof(T), std::align_val_t{kPageAlignment});
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

}  // namespace cairn
