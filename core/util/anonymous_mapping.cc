#include "core/util/anonymous_mapping.h"

#include <sys/mman.h>

#include <new>

namespace cairn {

AnonymousMapping::AnonymousMapping(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  void* mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<uint8_t*>(mapping);
}

AnonymousMapping::~AnonymousMapping() {
  if (data_ != nullptr) munmap(data_, size_);
}

}  // namespace cairn
