// Software prefetch for kernels that stream weights from memory. The hardware
// prefetchers stop at 4 KiB page boundaries, so a stream that crosses pages
// (every I2_S row of K = 16384 is exactly one page) restarts cold at each one
// unless the kernel asks for lines ahead itself. Measurements per kernel: in
// baselines/i2s/i2s.cc, baselines/lut/lut-inl.h, baselines/dense/dense_f32.cc
// and harness/bandwidth.cc (the probe prefetches the same way, so the
// roofline is what a prefetching kernel can reach).
#pragma once

#include <cstddef>

namespace rsr {

inline constexpr size_t kPageBytes = 4096;

// Read prefetch into L2 (x86 prefetcht1, Arm PLDL2KEEP); never faults.
// always_inline is load-bearing: g++ 12 does not inline a plain inline
// function into Highway's per-target code (different target options), and
// since a prefetch has no side effects it then deletes the call outright --
// the i2s kernel silently lost every prefetch (16384^2: 1.7 -> 4.7 ms).
__attribute__((always_inline)) inline void PrefetchL2(const void* p) {
  __builtin_prefetch(p, /*rw=*/0, /*locality=*/2);
}

// Read prefetch into L1 (x86 prefetcht0, Arm PLDL1KEEP); never faults. For
// data consumed soon (i2s: the next row tile). On Zen 5 a T1 request for a
// line already in L2/L3 cost 3-4 cycles per 1000 i2s weights, T0 about 1
// (an asm copy of the i2s loop, L3-resident; docs/design-notes.md, i2s).
__attribute__((always_inline)) inline void PrefetchL1(const void* p) {
  __builtin_prefetch(p, /*rw=*/0, /*locality=*/3);
}

}  // namespace rsr
