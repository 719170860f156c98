#include "harness/memory.h"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RSR_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define RSR_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef RSR_COUNT_ALLOCATIONS
#define RSR_COUNT_ALLOCATIONS 1
#endif

namespace rsr::harness {
namespace {

std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

inline void Added(void* p) {
  if (p == nullptr) return;
  const int64_t live =
      g_live.fetch_add(static_cast<int64_t>(malloc_usable_size(p)),
                       std::memory_order_relaxed) +
      static_cast<int64_t>(malloc_usable_size(p));
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (live > peak &&
         !g_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

inline void Removed(void* p) {
  if (p == nullptr) return;
  g_live.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)),
                   std::memory_order_relaxed);
}

}  // namespace

std::optional<size_t> AvailableMemoryBytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  size_t kib = 0;
  std::string unit;
  while (f >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib << 10;
  return std::nullopt;
}

bool AllocationPeak::Available() { return RSR_COUNT_ALLOCATIONS != 0; }

AllocationPeak::AllocationPeak() {
  base_ = g_live.load(std::memory_order_relaxed);
  g_peak.store(base_, std::memory_order_relaxed);
}

size_t AllocationPeak::Bytes() const {
  const int64_t peak = g_peak.load(std::memory_order_relaxed);
  return peak > base_ ? static_cast<size_t>(peak - base_) : 0;
}

}  // namespace rsr::harness

#if RSR_COUNT_ALLOCATIONS
// glibc's own entry points, which the replacements forward to.
extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) noexcept {
  void* p = __libc_malloc(n);
  rsr::harness::Added(p);
  return p;
}
void free(void* p) noexcept {
  rsr::harness::Removed(p);
  __libc_free(p);
}
void* calloc(size_t n, size_t size) noexcept {
  void* p = __libc_calloc(n, size);
  rsr::harness::Added(p);
  return p;
}
void* realloc(void* old, size_t n) noexcept {
  const size_t old_size = old ? malloc_usable_size(old) : 0;
  void* p = __libc_realloc(old, n);
  if (p != nullptr || n == 0) {
    rsr::harness::g_live.fetch_sub(static_cast<int64_t>(old_size),
                                   std::memory_order_relaxed);
    rsr::harness::Added(p);
  }
  return p;
}
void* memalign(size_t align, size_t n) noexcept {
  void* p = __libc_memalign(align, n);
  rsr::harness::Added(p);
  return p;
}
void* aligned_alloc(size_t align, size_t n) noexcept {
  return memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) noexcept {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  void* p = memalign(align, n);
  if (p == nullptr && n != 0) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(size_t n) noexcept { return memalign(4096, n); }
void* pvalloc(size_t n) noexcept {
  return memalign(4096, (n + 4095) / 4096 * 4096);
}
}  // extern "C"
#endif
