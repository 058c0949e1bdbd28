#include "core/util/aligned_bytes.h"

#include <sys/mman.h>

#include <cstring>
#include <fstream>
#include <string>

// ASan checks the bounds of heap buffers, not of mappings: sanitizer builds keep every
// buffer on the heap.
#if defined(__SANITIZE_ADDRESS__)
#define CAIRN_HEAP_ONLY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAIRN_HEAP_ONLY 1
#endif
#endif

namespace cairn {
namespace {

// Why chunk-sized buffers get huge pages. A decoded or fetched chunk is 1-16 MiB. In 4 KiB
// pages, fresh memory costs a fault per page, and direct I/O and FUSE replies pin such
// buffers page by page: `cairn cat` of a 1 GiB image of random data took 210,000 page
// faults and 0.77-0.88 s (0.39-0.46 s of it in the kernel), against 3,000 faults and
// 0.42-0.56 s (0.11-0.25 s) in huge pages with fetches reusing freed chunks' buffers
// (chunk_cache.cc; BENCHMARKS.md, "Read path"). Mapped on their
// own, such buffers also go back to the kernel exactly when freed, where the heap kept
// freed buffers until a trim. Smaller buffers would gain nothing from a mapping of their
// own and would pay a fault per page every time; the heap reuses their memory.

// The huge-page size when the kernel backs mappings advised with MADV_HUGEPAGE by them
// ("always" or "madvise" in /sys/kernel/mm/transparent_hugepage/enabled), else 0.
size_t ReadHugePageSize() {
#ifdef CAIRN_HEAP_ONLY
  return 0;
#else
  std::string enabled;
  std::getline(std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"), enabled);
  if (enabled.find("[never]") != std::string::npos || enabled.find('[') == std::string::npos) return 0;
  size_t size = 0;
  std::ifstream("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") >> size;
  // A size that is no multiple of a page would misalign the mapping.
  return size % kPageAlignment == 0 ? size : 0;
#endif
}

bool IsMapped(size_t bytes) {
  const size_t huge = BufferHugePageSize();
  return huge != 0 && bytes >= huge;
}

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Maps the bytes on a huge-page boundary: a mapping one huge page longer, trimmed at both
// ends. A partial huge page at the end (a decode writes one byte past a chunk's size) gets
// small pages: the kernel maps a huge page only where all of it lies inside the mapping.
// Advising all of it keeps a buffer one mapping, which merges with its neighbours.
void* MapHugePageAligned(size_t bytes) {
  const size_t huge = BufferHugePageSize();
  const size_t length = RoundUp(bytes, kPageAlignment);
  const size_t mapped = length + huge;
  void* mapping = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) throw std::bad_alloc();
  auto* first = static_cast<uint8_t*>(mapping);
  auto* start = reinterpret_cast<uint8_t*>(RoundUp(reinterpret_cast<uintptr_t>(first), huge));
  uint8_t* end = start + length;  // before first + mapped: start lies less than a huge page in
  if (start > first) munmap(first, start - first);
  munmap(end, first + mapped - end);
  // Advice only: refused, the buffer works in small pages.
  madvise(start, length, MADV_HUGEPAGE);
  return start;
}

// Over-allocates by a page and keeps the start of the allocation just before the aligned
// storage. Not aligned new: glibc serves that with memalign, which maps and unmaps every
// multi-megabyte buffer, where plain allocations of that size are reused from the heap.
void* AllocateFromHeap(size_t bytes) {
  auto* raw = static_cast<uint8_t*>(::operator new(bytes + kPageAlignment));
  auto* aligned = raw + kPageAlignment - reinterpret_cast<uintptr_t>(raw) % kPageAlignment;
  std::memcpy(aligned - sizeof(raw), &raw, sizeof(raw));
  return aligned;
}

void FreeToHeap(void* storage) noexcept {
  uint8_t* raw;
  std::memcpy(&raw, static_cast<uint8_t*>(storage) - sizeof(raw), sizeof(raw));
  ::operator delete(raw);
}

}  // namespace

size_t BufferHugePageSize() {
  static const size_t size = ReadHugePageSize();
  return size;
}

void* AllocatePageAligned(size_t bytes) { return IsMapped(bytes) ? MapHugePageAligned(bytes) : AllocateFromHeap(bytes); }

void FreePageAligned(void* storage, size_t bytes) noexcept {
  if (IsMapped(bytes)) {
    munmap(storage, RoundUp(bytes, kPageAlignment));
  } else {
    FreeToHeap(storage);
  }
}

}  // namespace cairn
