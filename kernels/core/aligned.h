// Aligned buffers for prepared forms. hwy::AllocateAligned gives
// vector-aligned storage; we keep the element count so PreparedBytes() is
// exact.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>

#include "hwy/aligned_allocator.h"

namespace rsr {

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) { Resize(n); }
  void Resize(size_t n) {
    ptr_ = n ? hwy::AllocateAligned<T>(n) : hwy::AlignedFreeUniquePtr<T[]>();
    size_ = 0;
    if (n && !ptr_) throw std::bad_alloc();  // Kernel::Prepare reports it
    size_ = n;
    if (n) std::memset(static_cast<void*>(ptr_.get()), 0, n * sizeof(T));
  }
  T* data() { return ptr_.get(); }
  const T* data() const { return ptr_.get(); }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }
  T& operator[](size_t i) { return ptr_[i]; }
  const T& operator[](size_t i) const { return ptr_[i]; }

 private:
  hwy::AlignedFreeUniquePtr<T[]> ptr_;
  size_t size_ = 0;
};

}  // namespace rsr
