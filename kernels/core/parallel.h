// Threads at the outermost loop only (STYLE.md rule 9): OpenMP over
// independent output blocks with a static schedule, so every thread count
// computes each output with the same instruction sequence (results do not
// depend on the thread count).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace rsr {

template <class Func>
void ParallelFor(size_t n, int threads, const Func& func) {
  if (threads <= 1 || n <= 1) {
    for (size_t i = 0; i < n; ++i) func(i);
    return;
  }
  const int64_t count = static_cast<int64_t>(n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < count; ++i) func(static_cast<size_t>(i));
}

// Number of chunks ParallelChunks(n, threads, align, ...) uses (>= 1).
inline size_t ChunkParts(size_t n, int threads, size_t align) {
  if (threads <= 1 || n <= align) return 1;
  const size_t units = (n + align - 1) / align;
  return units < static_cast<size_t>(threads) ? units
                                              : static_cast<size_t>(threads);
}

// Splits [0, n) into ChunkParts(n, threads, align) contiguous chunks whose
// boundaries are multiples of `align` (so output writes of different threads
// never share a cache line when align covers 64 bytes). Calls
// func(begin, end) per non-empty chunk, or func(begin, end, part) when func
// takes a third argument (part < ChunkParts(...): per-chunk scratch).
template <class Func>
void ParallelChunks(size_t n, int threads, size_t align, const Func& func) {
  const auto call = [&](size_t b, size_t e, size_t part) {
    if constexpr (std::is_invocable_v<const Func&, size_t, size_t, size_t>) {
      func(b, e, part);
    } else {
      func(b, e);
    }
  };
  const size_t parts = ChunkParts(n, threads, align);
  if (parts == 1) {
    call(size_t{0}, n, size_t{0});
    return;
  }
  const size_t units = (n + align - 1) / align;
  ParallelFor(parts, threads, [&](size_t p) {
    const size_t b = (units * p / parts) * align;
    size_t e = (units * (p + 1) / parts) * align;
    if (e > n) e = n;
    if (b < e) call(b, e, p);
  });
}

}  // namespace rsr
