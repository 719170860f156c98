// rsrpp-simd, GEMV (one token): the per-target inner loops, compiled once
// per Highway target by rsrpp_simd.cc through foreach_target.h.
//
// int8: a branchless scalar running prefix over the permuted activations,
// segment sums as prefix differences, then the SIMD fold. Float: per-segment
// sums with 4 accumulators (a float prefix difference would cancel
// catastrophically). Both folds run MSB first ("u'[i] = u[i] + u[i+S] +
// u[i+2S]", S = radix^(level-1)), so every fold step is a contiguous vector
// add. Design measurements: docs/design-notes.md, "rsrpp-simd".

#if defined(RSR_KERNELS_RSR_RSRPP_GEMV_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_KERNELS_RSR_RSRPP_GEMV_INL_H_
#undef RSR_KERNELS_RSR_RSRPP_GEMV_INL_H_
#else
#define RSR_KERNELS_RSR_RSRPP_GEMV_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "hwy/highway.h"
#include "kernels/core/aligned.h"
#include "kernels/core/parallel.h"
#include "kernels/rsr/rsr_index.h"
#include "rsr/quant.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using rsr_index::CodeForm;
using rsr_index::Index;

inline size_t Radix(CodeForm f) { return f == CodeForm::kBase3 ? 3 : 2; }

// Largest fold height: k <= MaxK(kBinary) = 16 (base-3 k <= 12).
constexpr int kMaxFoldRows = 16;

// Float segment sums: scalar gather-add, 4 independent accumulators per
// segment (float cannot use prefix differences: cancellation).
template <class Idx>
HWY_INLINE void SegmentSumsF32(const Idx* HWY_RESTRICT perm,
                               const Idx* HWY_RESTRICT off, size_t buckets,
                               const float* HWY_RESTRICT x,
                               float* HWY_RESTRICT u) {
  size_t p = 0;
  for (size_t c = 0; c < buckets; ++c) {
    const size_t e = off[c + 1];
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; p + 4 <= e; p += 4) {
      s0 += x[perm[p]];
      s1 += x[perm[p + 1]];
      s2 += x[perm[p + 2]];
      s3 += x[perm[p + 3]];
    }
    for (; p < e; ++p) s0 += x[perm[p]];
    u[c] = (s0 + s1) + (s2 + s3);
  }
}

constexpr size_t kPrefixChunk = 1024;

// Int8 segment sums, branchless scalar running prefix: P[p+1] = P[p] +
// x[perm[p]] (exact in int32: |P| <= 128 K < 2^31), u[c] = P[L[c+1]] -
// P[L[c]]. No data-dependent branch per segment (the per-segment loop above
// mispredicts on every short random-length segment: 1.41 vs 0.49 ms at
// 2560^2). P is kept for one chunk of kPrefixChunk positions only, so x
// (int8, K bytes) and P stay in L1; buckets ending inside a chunk are emitted
// after it (one loop exit mispredict per chunk, not per bucket).
template <class Idx>
HWY_INLINE void SegmentSumsPrefix(const Idx* HWY_RESTRICT perm,
                                  const Idx* HWY_RESTRICT off, size_t buckets,
                                  size_t K, const int8_t* HWY_RESTRICT x,
                                  int32_t* HWY_RESTRICT chunk_prefix,
                                  int32_t* HWY_RESTRICT u) {
  constexpr size_t kAhead = 2048 / sizeof(Idx);  // 2 KiB of index ahead
  int32_t run = 0, start = 0;
  size_t c = 0;
  for (size_t base = 0; base < K; base += kPrefixChunk) {
    const size_t end = std::min(K, base + kPrefixChunk);
    chunk_prefix[0] = run;
    size_t p = base;
    for (; p + 16 <= end; p += 16) {
      hwy::Prefetch(perm + p + kAhead);
      for (size_t i = 0; i < 16; ++i)
        chunk_prefix[p + i + 1 - base] = run += x[perm[p + i]];
    }
    for (; p < end; ++p) chunk_prefix[p + 1 - base] = run += x[perm[p]];
    for (; c < buckets && off[c + 1] <= end; ++c) {
      const int32_t v = chunk_prefix[off[c + 1] - base];
      u[c] = v - start;
      start = v;
    }
  }
  for (; c < buckets; ++c) u[c] = 0;  // K == 0 only
}

// MSB-first fold of u (length radix^rows), contiguous SIMD over buckets.
// Radix 3: out[t] = sum(upper third) - sum(lower third); u'[i] = sum of the
// three thirds. Radix 2: out[t] = sum(upper half); u'[i] = u[i] + u[i+S].
template <class T>
void FoldFlat(size_t radix, int rows, T* HWY_RESTRICT u, T* HWY_RESTRICT out) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  size_t S = 1;
  for (int t = 1; t < rows; ++t) S *= radix;
  for (int t = 0; t < rows; ++t, S /= radix) {
    T* HWY_RESTRICT a = u;
    T* HWY_RESTRICT b = u + S;
    auto r = hn::Zero(d);
    size_t i = 0;
    T rs = 0;
    if (radix == 3) {
      T* HWY_RESTRICT c = u + 2 * S;
      for (; i + N <= S; i += N) {
        const auto va = hn::LoadU(d, a + i), vb = hn::LoadU(d, b + i),
                   vc = hn::LoadU(d, c + i);
        r = hn::Add(r, hn::Sub(vc, va));
        hn::StoreU(hn::Add(hn::Add(va, vb), vc), d, a + i);
      }
      if (i) rs = hn::GetLane(hn::SumOfLanes(d, r));
      for (; i < S; ++i) {
        rs += c[i] - a[i];
        a[i] = a[i] + b[i] + c[i];
      }
    } else {
      for (; i + N <= S; i += N) {
        const auto va = hn::LoadU(d, a + i), vb = hn::LoadU(d, b + i);
        r = hn::Add(r, vb);
        hn::StoreU(hn::Add(va, vb), d, a + i);
      }
      if (i) rs = hn::GetLane(hn::SumOfLanes(d, r));
      for (; i < S; ++i) {
        rs += b[i];
        a[i] = a[i] + b[i];
      }
    }
    out[t] = rs;
  }
}

// y[r] for one token, every block. X = int8_t (int32 sums, exact; act_scale
// for DequantizeDot) or float (float sums; act_scale unused).
template <class X>
void GemvT(const Index& ix, const X* HWY_RESTRICT x, int threads,
           float act_scale, float w_scale, float* HWY_RESTRICT y) {
  constexpr bool kInt8 = hwy::IsSame<X, int8_t>();
  using T = std::conditional_t<kInt8, int32_t, float>;
  const int k = ix.k;
  HWY_DASSERT(k >= 1 && k <= kMaxFoldRows);
  const size_t radix = Radix(ix.form);
  const size_t align = (16 + k - 1) / k;
  ParallelChunks(ix.blocks, threads, align, [&](size_t b0, size_t b1) {
    AlignedBuffer<T> u(ix.buckets);
    AlignedBuffer<int32_t> prefix(kInt8 ? kPrefixChunk + 1 : 0);
    T out[kMaxFoldRows];
    for (size_t b = b0; b < b1; ++b) {
      if constexpr (kInt8) {
        if (ix.wide)
          SegmentSumsPrefix(ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                            ix.buckets, ix.cols, x, prefix.data(), u.data());
        else
          SegmentSumsPrefix(ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                            ix.buckets, ix.cols, x, prefix.data(), u.data());
      } else {
        if (ix.wide)
          SegmentSumsF32(ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                         ix.buckets, x, u.data());
        else
          SegmentSumsF32(ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                         ix.buckets, x, u.data());
      }
      FoldFlat(radix, k, u.data(), out);
      for (int t = 0; t < k; ++t) {
        const size_t r = b * k + t;
        if (r >= ix.rows) break;
        if constexpr (kInt8)
          y[r] = DequantizeDot(out[t], act_scale, w_scale);
        else
          y[r] = out[t] * w_scale;
      }
    }
  });
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
