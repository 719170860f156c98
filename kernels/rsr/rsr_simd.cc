// rsrpp-simd: RSR++ with Highway SIMD (dynamic dispatch) and OpenMP over row
// blocks. See rsr.h for the family and ALGORITHMS.md 1-4 for the method.
//
// Index: one pass for ternary, base-3 column codes c = sum_t (w+1) 3^(k-1-t)
// (3^k buckets, one permutation per block); binary {0,1} matrices use 2^k
// bit codes. Both folds run MSB first here ("u'[i] = u[i] + u[i+S] + u[i+2S]",
// S = 3^(level-1)) so every fold step is a contiguous vector add; the paper's
// LSB-first order (rsrpp) gives the same sums.
//
// Gemv (1 token), int8: a branchless scalar running prefix over the
// permuted activations, segment sums as prefix differences, then the SIMD
// fold. Float Gemv: per-segment sums with 4 accumulators (a float prefix
// difference would cancel catastrophically). Gemm (N >= 2), the token-tiled
// form: a tile of TT tokens is stored token-minor (int8 or float, transposed
// once per call), so "gather column j" is one contiguous TT-wide load, each
// bucket is a TT-wide vector accumulator and the fold is lane-parallel.
//
// Portability: SVE vectors are sizeless (no arrays or struct members of
// them), so the one- or two-vector tile accumulators are named locals
// selected with `if constexpr`, not arrays. Every Highway target compiles the
// same code (x86 AVX3_DL/AVX3/AVX2/SSE4/SCALAR, aarch64 NEON/SVE/SVE2).
//
// Design measurements (AMD Zen 5, AVX3_DL, 1 thread, int8, CPU-time minimum
// because the machine was shared, load average 7-11; ms). Only the kept
// designs remain in the code; the others were deleted after these numbers.
//   Gemv inner loop, 2560^2 k=5 (8192^2 k=5 in brackets):
//     branchless scalar running prefix (kept)          0.49 (5.60)
//     per-segment scalar gather-add, 4 accumulators    1.41 (branch
//       mispredicts: one per ~10-column segment; kept for float only)
//     SIMD GatherIndex + in-vector log-step scan       1.14 (12.0): gathers
//       are slow and the scan costs ~12 ops per vector
//     histogram u[code_j] += x_j, 1 byte/code, no      0.67 (6.71): 1.2x
//       permutation                                    slower, although only
//       1.6 bits/weight instead of 3.3
//     chunked prefix (P kept for 1024 columns, x read as int8) vs full
//     int32 prefix: 2560^2 0.58 vs 0.49, 8192^2 k=6 4.97 vs 5.41; kept for
//     the large shapes.
//   Gemm 2560^2 k=5, N = 8 / 32 / 128:
//     permutation, int32 prefix tile for N <= lanes, segment loop beyond
//       (kept)                                         0.94 / 2.00 / 6.28
//     permutation, segment loop only                   1.85 / 2.67 / 6.25
//     histogram tile (vector load-add-store)           0.89 / 2.72 / 11.2
//   Gemm 4096^2 N=32 / 128: int16 segment sums (2x tokens per vector, exact
//     for segments <= 255) 7.26 / 18.8 vs int32 6.97 / 18.6 -> no gain,
//     removed; a modular int16 prefix tile lost at N=128 (25.6 ms).
//   Ternary code: base-3 (3^k buckets, kept) vs 2k-bit (pos<<k | neg, 4^k
//     buckets, at most 3^k non-empty), best k each, Gemv: 2560^2 0.59 ms
//     (k=5) vs 0.73 (k=4); 4096^2 1.41 (k=5) vs 1.75 (k=4). The 2k-bit code
//     loses 1.24x (more buckets for the same k, so a smaller k and more
//     blocks) and needs 4.0-4.5 bits/weight vs 3.4.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/rsr/rsr_simd.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

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

// ---------------------------------------------------------------- Gemv ----

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

void RsrGemvI8(const Index& ix, const int8_t* q, int threads, float act_scale,
               float w_scale, float* y) {
  GemvT(ix, q, threads, act_scale, w_scale, y);
}

void RsrGemvF32(const Index& ix, const float* x, int threads, float w_scale,
                float* y) {
  GemvT(ix, x, threads, 1.0f, w_scale, y);
}

// ---------------------------------------------------------------- Gemm ----

template <class D>
HWY_INLINE hn::Vec<D> LoadColumn(D d, const int8_t* HWY_RESTRICT p) {
  return hn::PromoteTo(d, hn::LoadU(hn::Rebind<int8_t, D>(), p));
}
template <class D>
HWY_INLINE hn::Vec<D> LoadColumn(D d, const float* HWY_RESTRICT p) {
  return hn::LoadU(d, p);
}

// Segmented sums of one block for one tile: u[c*TT + lane], TT = NV lanes(d),
// NV = 1 or 2 vectors of tokens. Two accumulator chains (a: even positions,
// b: odd) per vector; the NV = 2 chains are separate named locals (a1, b1)
// because SVE vectors cannot be array elements.
template <int NV, class D, class Idx, class TileT>
HWY_INLINE void TileSegmentSums(D d, const Idx* HWY_RESTRICT perm,
                                const Idx* HWY_RESTRICT off, size_t buckets,
                                const TileT* HWY_RESTRICT tile,
                                hn::TFromD<D>* HWY_RESTRICT u) {
  static_assert(NV == 1 || NV == 2, "one or two vectors of tokens");
  const size_t N = hn::Lanes(d);
  const size_t TT = NV * N;
  size_t p = 0;
  for (size_t c = 0; c < buckets; ++c) {
    const size_t e = off[c + 1];
    auto a0 = hn::Zero(d), b0 = hn::Zero(d);
    auto a1 = hn::Zero(d), b1 = hn::Zero(d);  // second vector, NV == 2 only
    for (; p + 2 <= e; p += 2) {
      const TileT* c0 = tile + size_t{perm[p]} * TT;
      const TileT* c1 = tile + size_t{perm[p + 1]} * TT;
      a0 = hn::Add(a0, LoadColumn(d, c0));
      b0 = hn::Add(b0, LoadColumn(d, c1));
      if constexpr (NV == 2) {
        a1 = hn::Add(a1, LoadColumn(d, c0 + N));
        b1 = hn::Add(b1, LoadColumn(d, c1 + N));
      }
    }
    if (p < e) {
      const TileT* c0 = tile + size_t{perm[p]} * TT;
      a0 = hn::Add(a0, LoadColumn(d, c0));
      if constexpr (NV == 2) a1 = hn::Add(a1, LoadColumn(d, c0 + N));
      ++p;
    }
    hn::Store(hn::Add(a0, b0), d, u + c * TT);
    if constexpr (NV == 2) hn::Store(hn::Add(a1, b1), d, u + c * TT + N);
  }
}

// Branchless form of the above for int8 tiles of one vector: running vector
// prefix P[p+1] = P[p] + column(perm[p]) (exact in int32), u[c] = P[L[c+1]] -
// P[L[c]]. Trades one vector store per element for the per-segment loop
// exit, which mispredicts on short random-length segments. Unrolled by 4
// (loads first, then the add/store chain): AVX3_DL 1 thread, 2560^2 N=4 / 8
// 0.59 / 0.79 ms vs 0.70 / 0.82 rolled, 4096^2 N=4 1.55 vs 1.79; the rolled
// loop's speed also swung 11% with its code alignment (N=8: 0.82 vs 0.91).
template <class D, class Idx>
HWY_INLINE void TilePrefixSums(D d, const Idx* HWY_RESTRICT perm,
                               const Idx* HWY_RESTRICT off, size_t buckets,
                               size_t K, const int8_t* HWY_RESTRICT tile,
                               int32_t* HWY_RESTRICT prefix,
                               int32_t* HWY_RESTRICT u) {
  const size_t TT = hn::Lanes(d);
  auto run = hn::Zero(d);
  hn::Store(run, d, prefix);
  size_t p = 0;
  for (; p + 4 <= K; p += 4) {
    const auto c0 = LoadColumn(d, tile + size_t{perm[p]} * TT);
    const auto c1 = LoadColumn(d, tile + size_t{perm[p + 1]} * TT);
    const auto c2 = LoadColumn(d, tile + size_t{perm[p + 2]} * TT);
    const auto c3 = LoadColumn(d, tile + size_t{perm[p + 3]} * TT);
    run = hn::Add(run, c0);
    hn::Store(run, d, prefix + (p + 1) * TT);
    run = hn::Add(run, c1);
    hn::Store(run, d, prefix + (p + 2) * TT);
    run = hn::Add(run, c2);
    hn::Store(run, d, prefix + (p + 3) * TT);
    run = hn::Add(run, c3);
    hn::Store(run, d, prefix + (p + 4) * TT);
  }
  for (; p < K; ++p) {
    run = hn::Add(run, LoadColumn(d, tile + size_t{perm[p]} * TT));
    hn::Store(run, d, prefix + (p + 1) * TT);
  }
  for (size_t c = 0; c < buckets; ++c)
    hn::Store(hn::Sub(hn::Load(d, prefix + size_t{off[c + 1]} * TT),
                      hn::Load(d, prefix + size_t{off[c]} * TT)),
              d, u + c * TT);
}

// One fold step for one vector of tokens at pa (bucket i of the lower third
// / half; the others S*TT and 2*S*TT further): updates pa, returns r plus
// this row's contribution.
template <class D>
HWY_INLINE hn::Vec<D> FoldStep(D d, size_t radix, size_t stride,
                               hn::TFromD<D>* HWY_RESTRICT pa, hn::Vec<D> r) {
  const auto va = hn::Load(d, pa);
  const auto vb = hn::Load(d, pa + stride);
  if (radix == 3) {
    const auto vc = hn::Load(d, pa + 2 * stride);
    hn::Store(hn::Add(hn::Add(va, vb), vc), d, pa);
    return hn::Add(r, hn::Sub(vc, va));
  }
  hn::Store(hn::Add(va, vb), d, pa);
  return hn::Add(r, vb);
}

// Lane-parallel MSB-first fold: each bucket is TT = NV*N lanes (one per
// token); out[t*TT + lane]. Row sums r0 (first vector), r1 (second, NV == 2).
template <int NV, class D>
HWY_INLINE void FoldTile(D d, size_t radix, int rows,
                         hn::TFromD<D>* HWY_RESTRICT u,
                         hn::TFromD<D>* HWY_RESTRICT out) {
  const size_t N = hn::Lanes(d);
  const size_t TT = NV * N;
  size_t S = 1;
  for (int t = 1; t < rows; ++t) S *= radix;
  for (int t = 0; t < rows; ++t, S /= radix) {
    auto r0 = hn::Zero(d);
    auto r1 = hn::Zero(d);  // NV == 2 only
    const size_t stride = S * TT;
    if (radix == 3) {
      for (size_t i = 0; i < S; ++i) {
        r0 = FoldStep(d, 3, stride, u + i * TT, r0);
        if constexpr (NV == 2) r1 = FoldStep(d, 3, stride, u + i * TT + N, r1);
      }
    } else {
      for (size_t i = 0; i < S; ++i) {
        r0 = FoldStep(d, 2, stride, u + i * TT, r0);
        if constexpr (NV == 2) r1 = FoldStep(d, 2, stride, u + i * TT + N, r1);
      }
    }
    hn::Store(r0, d, out + t * TT);
    if constexpr (NV == 2) hn::Store(r1, d, out + t * TT + N);
  }
}

// All tokens. x is token-major (tokens x K) int8 or float; act_scale is per
// token (int8) or nullptr (float).
template <int NV, class D, class TileT>
void GemmTiled(D d, const Index& ix, const TileT* HWY_RESTRICT x, size_t tokens,
               int threads, const float* act_scale, float w_scale,
               float* HWY_RESTRICT y) {
  using T = hn::TFromD<D>;
  const size_t K = ix.cols, M = ix.rows;
  const size_t TT = NV * hn::Lanes(d);
  const size_t tiles = (tokens + TT - 1) / TT;
  // Transpose once: tile t holds tokens [t*TT, t*TT+TT), column j at
  // tile_base + j*TT (zero lanes past the last token).
  AlignedBuffer<TileT> xt(tiles * K * TT);
  ParallelFor(tiles, threads, [&](size_t tile) {
    TileT* dst = xt.data() + tile * K * TT;
    for (size_t lane = 0; lane < TT; ++lane) {
      const size_t tok = tile * TT + lane;
      if (tok >= tokens) break;
      const TileT* src = x + tok * K;
      for (size_t j = 0; j < K; ++j) dst[j * TT + lane] = src[j];
    }
  });
  const int k = ix.k;
  const size_t radix = Radix(ix.form);
  const size_t align = (16 + k - 1) / k;
  // Prefix tile: int8, one vector of tokens (measured: see the file header).
  constexpr bool kPrefix = NV == 1 && hwy::IsSame<T, int32_t>();
  ParallelChunks(ix.blocks, threads, align, [&](size_t b0, size_t b1) {
    AlignedBuffer<T> u(ix.buckets * TT);
    AlignedBuffer<T> prefix(kPrefix ? (K + 1) * TT : 0);
    AlignedBuffer<T> out(static_cast<size_t>(k) * TT);
    for (size_t b = b0; b < b1; ++b) {
      for (size_t tile = 0; tile < tiles; ++tile) {
        const TileT* xtile = xt.data() + tile * K * TT;
        if constexpr (kPrefix) {
          if (ix.wide)
            TilePrefixSums(d, ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                           ix.buckets, K, xtile, prefix.data(), u.data());
          else
            TilePrefixSums(d, ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                           ix.buckets, K, xtile, prefix.data(), u.data());
        } else if (ix.wide) {
          TileSegmentSums<NV>(d, ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                              ix.buckets, xtile, u.data());
        } else {
          TileSegmentSums<NV>(d, ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                              ix.buckets, xtile, u.data());
        }
        FoldTile<NV>(d, radix, k, u.data(), out.data());
        const size_t lanes = std::min(TT, tokens - tile * TT);
        for (int t = 0; t < k; ++t) {
          const size_t r = b * k + t;
          if (r >= M) break;
          for (size_t lane = 0; lane < lanes; ++lane) {
            const size_t tok = tile * TT + lane;
            const T v = out[t * TT + lane];
            if constexpr (hwy::IsSame<T, int32_t>())
              y[tok * M + r] = DequantizeDot(v, act_scale[tok], w_scale);
            else
              y[tok * M + r] = v * w_scale;
          }
        }
      }
    }
  });
}

// Tile width from the token count: 4, 8, one full vector or two vectors of
// tokens (capped tags shrink to the vector on 128-bit targets).
template <class T, class TileT>
void GemmDispatch(const Index& ix, const TileT* x, size_t tokens, int threads,
                  const float* act_scale, float w_scale, float* y) {
  const hn::ScalableTag<T> df;
  const size_t L = hn::Lanes(df);
  if (tokens <= 4) {
    GemmTiled<1>(hn::CappedTag<T, 4>(), ix, x, tokens, threads, act_scale,
                 w_scale, y);
  } else if (tokens <= 8) {
    GemmTiled<1>(hn::CappedTag<T, 8>(), ix, x, tokens, threads, act_scale,
                 w_scale, y);
  } else if (tokens <= L) {
    GemmTiled<1>(df, ix, x, tokens, threads, act_scale, w_scale, y);
  } else {
    GemmTiled<2>(df, ix, x, tokens, threads, act_scale, w_scale, y);
  }
}

void RsrGemmI8(const Index& ix, const int8_t* q, size_t tokens, int threads,
               const float* act_scale, float w_scale, float* y) {
  GemmDispatch<int32_t>(ix, q, tokens, threads, act_scale, w_scale, y);
}

void RsrGemmF32(const Index& ix, const float* x, size_t tokens, int threads,
                float w_scale, float* y) {
  GemmDispatch<float>(ix, x, tokens, threads, nullptr, w_scale, y);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <string>
#include <utility>

#include "kernels/core/bytes.h"
#include "kernels/rsr/rsr.h"
#include "rsr/error.h"

namespace rsr {
HWY_EXPORT(RsrGemvI8);
HWY_EXPORT(RsrGemvF32);
HWY_EXPORT(RsrGemmI8);
HWY_EXPORT(RsrGemmF32);

// Default k: about 9 columns per bucket, i.e. k = round(log3 K) - 2 for
// base-3 codes (k = round(log2 K) - 3 for binary). GEMV sweep, int8, 1 thread,
// CPU-time minimum (ms), rsrpp-simd at k = 4 / 5 / 6 / 7:
//   2560^2 0.54 / 0.48 / 0.52 / 0.75      (rule: 5)
//   4096^2 1.44 / 1.22 / 1.22 / 1.57      (rule: 6)
//   8192^2 7.20 / 5.85 / 5.41 / 5.62      (rule: 6)
//   1024x65536, k = 6 / 7 / 8: 4.62 / 3.97 / 3.73   (rule: 8)
// Gemm prefers one less at N >= 32 (4096^2, N=128: k=5 15.1 ms, k=6 19.2),
// but k is fixed at Prepare and decode (N = 1) dominates, so the rule follows
// the GEMV optimum. The binary rule is the same "~9 columns per bucket"
// by analogy, not separately swept.
int RsrPPSimdDefaultK(size_t cols, bool binary) {
  const double l2 = std::log2(static_cast<double>(std::max<size_t>(cols, 1)));
  const int k = binary ? static_cast<int>(std::lround(l2)) - 3
                       : static_cast<int>(std::lround(l2 / std::log2(3.0))) - 2;
  return std::clamp(k, 1, binary ? 12 : 8);
}

namespace {

using rsr_index::CodeForm;

class RsrPPSimd final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return "rsrpp-simd"; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.int8_activations = true;
    c.float_activations = true;
    c.block_k = true;
    c.native_gemm = true;
    c.simd = true;
    return c;
  }
  size_t PreparedBytes() const override { return ix_.Bytes(); }

 protected:
  // Payload: the index (rsr_index::Save); its code form says binary or
  // ternary. Nothing else is derived: Gemm reads the index only.
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override { rsr_index::Save(out, ix_); }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    rsr_index::Index ix =
        rsr_index::Load(in, rows, cols, options().k, "rsrpp-simd index");
    // Prepare picks base-3 only for a matrix with a -1 weight (trit 0);
    // padding rows are trit 1 (ValidateCanonical), so any trit 0 is real.
    if (ix.form == CodeForm::kBase3 && !HasMinusOne(ix))
      throw Error("file",
                  "rsrpp-simd: base-3 index without a -1 weight "
                  "(binary matrices use the binary code)");
    ix_ = std::move(ix);
  }

  void PrepareImpl(const TernaryMatrix& w) override {
    const bool binary = w.IsBinary();
    int k = options().k;
    if (k == 0) k = RsrPPSimdDefaultK(w.cols(), binary);
    ix_ = rsr_index::Build(w, k, binary ? CodeForm::kBinary : CodeForm::kBase3,
                           +1, threads());
  }

  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    if (xq.tokens == 1)
      HWY_DYNAMIC_DISPATCH(RsrGemvI8)(ix_, xq.q.data(), threads(), xq.scale[0],
                                      weight_scale(), y);
    else
      HWY_DYNAMIC_DISPATCH(RsrGemmI8)(ix_, xq.q.data(), xq.tokens, threads(),
                                      xq.scale.data(), weight_scale(), y);
  }

  void GemmF32(const float* x, size_t tokens, float* y) const override {
    if (tokens == 1)
      HWY_DYNAMIC_DISPATCH(RsrGemvF32)(ix_, x, threads(), weight_scale(), y);
    else
      HWY_DYNAMIC_DISPATCH(RsrGemmF32)(ix_, x, tokens, threads(), weight_scale(),
                                       y);
  }

 private:
  // Some used bucket's code has a trit 0. O(index size + K*k) per block.
  static bool HasMinusOne(const rsr_index::Index& ix) {
    for (size_t b = 0; b < ix.blocks; ++b)
      for (size_t c = 0; c < ix.buckets; ++c) {
        if (ix.Offset(b, c + 1) == ix.Offset(b, c)) continue;
        size_t code = c;
        for (int t = 0; t < ix.k; ++t, code /= 3)
          if (code % 3 == 0) return true;
      }
    return false;
  }

  rsr_index::Index ix_;
};

}  // namespace

std::unique_ptr<Kernel> MakeRsrPPSimd(const KernelOptions& o) {
  return std::make_unique<RsrPPSimd>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
