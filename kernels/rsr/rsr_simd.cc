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
// Design measurements (AMD Zen 5, AVX3_DL, 1 thread, int8, CPU-time minimum
// because the machine was shared, load average 7-11; ms):
//   Gemv inner loop, 2560^2 k=5 / 8192^2 k=5:
//     (b) per-segment scalar gather-add, 4 accumulators  1.41 / -   (branch
//         mispredicts: one per ~10-column segment)
//     (b') branchless scalar running prefix (kept)        0.49 / 5.60
//     (a) SIMD GatherIndex + in-vector log-step scan      1.14 / 12.0 (2.1x
//         slower: gathers are slow and the scan costs ~12 ops per vector)
//     (c) histogram u[code_j] += x_j, 1 byte/code         0.67 / 6.71 (1.2x
//         slower, but 1.6 bits/weight instead of 3.3: RSR_SIMD_LOOP=hist)
//     chunked prefix (P kept for 1024 columns, x read as int8) vs full
//     int32 prefix: 2560^2 0.58 vs 0.49, 8192^2 k=6 4.97 vs 5.41; kept for
//     the large shapes.
//   Gemm 2560^2 k=5, N = 8 / 32 / 128:
//     permutation, int32 prefix tile for N <= lanes, segment loop beyond
//       (kept)                                     0.94 / 2.00 / 6.28
//     permutation, segment loop only               1.85 / 2.67 / 6.25
//     histogram tile (vector load-add-store)       0.89 / 2.72 / 11.2
//   Gemm 4096^2 N=32 / 128: int16 segment sums (2x tokens per vector, exact
//     for segments <= 255) 7.26 / 18.8 vs int32 6.97 / 18.6 -> no gain,
//     removed; a modular int16 prefix tile lost at N=128 (25.6 ms).
//   Ternary code: base-3 (3^k buckets, kept) vs 2k-bit (pos<<k | neg, 4^k
//     buckets, RSR_SIMD_CODE=bits): see RsrPPSimdDefaultK's comment.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/rsr/rsr_simd.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/core/aligned.h"
#include "kernels/core/parallel.h"
#include "kernels/rsr/rsr_index.h"
#include "rsr/quant.h"

#ifndef RSR_KERNELS_RSR_SIMD_ONCE
#define RSR_KERNELS_RSR_SIMD_ONCE
namespace rsr::rsr_simd {
// Inner-loop designs for the Gemv segmented sums (ALGORITHMS.md 4).
// 0 = permutation + branchless prefix (int8) / per-segment sums (float),
// 1 = permutation + SIMD gather prefix (int8), 2 = histogram (no permutation).
enum class Loop : int { kPrefix = 0, kGather = 1, kHistogram = 2 };
// Histogram form: the column code of every (block, column), uint8 when the
// buckets fit a byte (base-3 k <= 5: 1.6 bits per weight), uint16 beyond.
struct HistCodes {
  bool wide = false;
  AlignedBuffer<uint8_t> codes8;
  AlignedBuffer<uint16_t> codes16;
  size_t Bytes() const { return codes8.bytes() + codes16.bytes(); }
};
}  // namespace rsr::rsr_simd
#endif

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using rsr_index::CodeForm;
using rsr_index::Index;
using rsr_simd::HistCodes;

inline size_t Radix(CodeForm f) { return f == CodeForm::kBase3 ? 3 : 2; }

// ---------------------------------------------------------------- Gemv ----

// (b) scalar gather-add, 4 independent accumulators per segment.
template <class Idx, class T>
HWY_INLINE void SegmentSumsScalar(const Idx* HWY_RESTRICT perm,
                                  const Idx* HWY_RESTRICT off, size_t buckets,
                                  const T* HWY_RESTRICT x, T* HWY_RESTRICT u) {
  size_t p = 0;
  for (size_t c = 0; c < buckets; ++c) {
    const size_t e = off[c + 1];
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
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

template <class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> LoadIndices(D /*d*/, const uint16_t* p) {
  const hn::Rebind<uint16_t, D> d16;
  return hn::BitCast(hn::RebindToSigned<D>(),
                     hn::PromoteTo(hn::RebindToUnsigned<D>(), hn::LoadU(d16, p)));
}
template <class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> LoadIndices(D /*d*/, const uint32_t* p) {
  return hn::BitCast(hn::RebindToSigned<D>(),
                     hn::LoadU(hn::RebindToUnsigned<D>(), p));
}

// (a) SIMD gather + running int32 prefix sum P (exact for int8 inputs:
// |P| <= 128 K < 2^31), segment sums as prefix differences.
template <class Idx>
HWY_INLINE void SegmentSumsGather(const Idx* HWY_RESTRICT perm,
                                  const Idx* HWY_RESTRICT off, size_t buckets,
                                  size_t K, const int32_t* HWY_RESTRICT x,
                                  int32_t* HWY_RESTRICT prefix,
                                  int32_t* HWY_RESTRICT u) {
  const hn::ScalableTag<int32_t> d;
  const size_t N = hn::Lanes(d);
  // Log-step in-vector scan: v += (v shifted up by s lanes), s = 1, 2, 4, ...
  // through TableLookupLanes so it is portable across block sizes.
  constexpr size_t kMaxN = 64;  // 2048-bit SVE
  HWY_ALIGN int32_t shift_idx[6][kMaxN];
  HWY_ALIGN int32_t last_idx[kMaxN];
  int32_t steps = 0;
  for (size_t s = 1; s < N; s *= 2, ++steps)
    for (size_t i = 0; i < N; ++i)
      shift_idx[steps][i] = static_cast<int32_t>(i >= s ? i - s : 0);
  for (size_t i = 0; i < N; ++i) last_idx[i] = static_cast<int32_t>(N - 1);
  const auto last = hn::SetTableIndices(d, last_idx);
  auto carry = hn::Zero(d);
  prefix[0] = 0;
  size_t p = 0;
  for (; p + N <= K; p += N) {
    auto v = hn::GatherIndex(d, x, LoadIndices(d, perm + p));
    size_t s = 1;
    for (int32_t i = 0; i < steps; ++i, s *= 2) {
      const auto moved = hn::TableLookupLanes(
          v, hn::SetTableIndices(d, shift_idx[i]));
      v = hn::Add(v, hn::IfThenZeroElse(hn::FirstN(d, s), moved));
    }
    v = hn::Add(v, carry);
    hn::StoreU(v, d, prefix + 1 + p);
    carry = hn::TableLookupLanes(v, last);
  }
  int32_t run = prefix[p];
  for (; p < K; ++p) prefix[p + 1] = run += x[perm[p]];
  for (size_t c = 0; c < buckets; ++c) u[c] = prefix[off[c + 1]] - prefix[off[c]];
}

// (b') branchless scalar running prefix: P[p+1] = P[p] + x[perm[p]], and
// u[c] = P[L[c+1]] - P[L[c]]. No data-dependent branch per segment (the
// per-segment loop above mispredicts on every short random-length segment:
// 2.7x slower at 2560^2). P is kept for one chunk of kChunk positions only,
// so x (int8, K bytes) and P stay in L1; buckets ending inside a chunk are
// emitted after it (one loop exit mispredict per chunk, not per bucket).
template <class Idx>
HWY_INLINE void SegmentSumsPrefix(const Idx* HWY_RESTRICT perm,
                                  const Idx* HWY_RESTRICT off, size_t buckets,
                                  size_t K, const int8_t* HWY_RESTRICT x,
                                  int32_t* HWY_RESTRICT chunk_prefix,
                                  int32_t* HWY_RESTRICT u) {
  constexpr size_t kChunk = 1024;
  constexpr size_t kAhead = 2048 / sizeof(Idx);  // 2 KiB of index ahead
  int32_t run = 0, start = 0;
  size_t c = 0;
  for (size_t base = 0; base < K; base += kChunk) {
    const size_t end = std::min(K, base + kChunk);
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

// (c) histogram form, no permutation: u[code[j]] += x[j] in column order.
template <class Code, class T>
HWY_INLINE void HistogramSums(const Code* HWY_RESTRICT code, size_t buckets,
                              size_t K, const T* HWY_RESTRICT x,
                              T* HWY_RESTRICT u) {
  std::fill(u, u + buckets, T{0});
  size_t j = 0;
  constexpr size_t kAhead = 2048 / sizeof(Code);
  for (; j + 16 <= K; j += 16) {
    hwy::Prefetch(code + j + kAhead);
    for (size_t i = 0; i < 16; ++i) u[code[j + i]] += x[j + i];
  }
  for (; j < K; ++j) u[code[j]] += x[j];
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

// y[r] for one token, every block. T = int32_t (x = widened int8, exact) or
// float. act_scale: int8 path (DequantizeDot), unused for float.
template <class T>
void GemvT(const Index& ix, const HistCodes& hx, const T* HWY_RESTRICT x,
           const int8_t* HWY_RESTRICT x8, int threads, int loop,
           float act_scale, float w_scale, float* HWY_RESTRICT y) {
  const int k = ix.k;
  const int fold_rows = rsr_index::FoldRows(ix.form, k);
  const size_t radix = Radix(ix.form);
  const size_t align = (16 + k - 1) / k;
  ParallelChunks(ix.blocks, threads, align, [&](size_t b0, size_t b1) {
    AlignedBuffer<T> u(ix.buckets);
    AlignedBuffer<int32_t> prefix(loop == 1 ? ix.cols + 1 : loop == 0 ? 1025 : 0);
    T out[32];
    for (size_t b = b0; b < b1; ++b) {
      if (loop == 2) {
        if (hx.wide)
          HistogramSums(hx.codes16.data() + b * ix.cols, ix.buckets, ix.cols, x,
                        u.data());
        else
          HistogramSums(hx.codes8.data() + b * ix.cols, ix.buckets, ix.cols, x,
                        u.data());
      } else if constexpr (hwy::IsSame<T, int32_t>()) {
        if (ix.wide) {
          if (loop == 1)
            SegmentSumsGather(ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                              ix.buckets, ix.cols, x, prefix.data(), u.data());
          else
            SegmentSumsPrefix(ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                              ix.buckets, ix.cols, x8, prefix.data(), u.data());
        } else {
          if (loop == 1)
            SegmentSumsGather(ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                              ix.buckets, ix.cols, x, prefix.data(), u.data());
          else
            SegmentSumsPrefix(ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                              ix.buckets, ix.cols, x8, prefix.data(), u.data());
        }
      } else {
        if (ix.wide)
          SegmentSumsScalar(ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                            ix.buckets, x, u.data());
        else
          SegmentSumsScalar(ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                            ix.buckets, x, u.data());
      }
      FoldFlat(radix, fold_rows, u.data(), out);
      for (int t = 0; t < k; ++t) {
        const size_t r = b * k + t;
        if (r >= ix.rows) break;
        const T v = ix.form == CodeForm::kPosNegBits
                        ? static_cast<T>(out[t] - out[k + t])
                        : out[t];
        if constexpr (hwy::IsSame<T, int32_t>())
          y[r] = DequantizeDot(v, act_scale, w_scale);
        else
          y[r] = v * w_scale;
      }
    }
  });
}

void RsrGemvI8(const Index& ix, const HistCodes& hx, const int8_t* q,
               int threads, int loop,
               float act_scale, float w_scale, float* y) {
  // int32 copy for the gather and histogram loops; the prefix loop reads q.
  AlignedBuffer<int32_t> x(loop != 0 ? ix.cols : 0);
  for (size_t j = 0; j < x.size(); ++j) x[j] = q[j];
  GemvT<int32_t>(ix, hx, x.data(), q, threads, loop, act_scale, w_scale, y);
}

void RsrGemvF32(const Index& ix, const HistCodes& hx, const float* x,
                int threads, int loop, float w_scale, float* y) {
  GemvT<float>(ix, hx, x, nullptr, threads, loop == 2 ? 2 : 0, 1.0f, w_scale, y);
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

// Segmented sums of one block for one tile: u[c*TT + lane], TT = NV lanes(d).
template <int NV, class D, class Idx, class TileT>
HWY_INLINE void TileSegmentSums(D d, const Idx* HWY_RESTRICT perm,
                                const Idx* HWY_RESTRICT off, size_t buckets,
                                const TileT* HWY_RESTRICT tile,
                                hn::TFromD<D>* HWY_RESTRICT u) {
  const size_t N = hn::Lanes(d);
  const size_t TT = NV * N;
  size_t p = 0;
  for (size_t c = 0; c < buckets; ++c) {
    const size_t e = off[c + 1];
    hn::Vec<D> a[NV], b[NV];
    for (int v = 0; v < NV; ++v) a[v] = b[v] = hn::Zero(d);
    for (; p + 2 <= e; p += 2) {
      const TileT* c0 = tile + size_t{perm[p]} * TT;
      const TileT* c1 = tile + size_t{perm[p + 1]} * TT;
      for (int v = 0; v < NV; ++v) {
        a[v] = hn::Add(a[v], LoadColumn(d, c0 + v * N));
        b[v] = hn::Add(b[v], LoadColumn(d, c1 + v * N));
      }
    }
    if (p < e) {
      const TileT* c0 = tile + size_t{perm[p]} * TT;
      for (int v = 0; v < NV; ++v)
        a[v] = hn::Add(a[v], LoadColumn(d, c0 + v * N));
      ++p;
    }
    for (int v = 0; v < NV; ++v)
      hn::Store(hn::Add(a[v], b[v]), d, u + c * TT + v * N);
  }
}

// Branchless form of the above for int8 tiles: running vector prefix
// P[p+1] = P[p] + column(perm[p]) (exact in int32), u[c] = P[L[c+1]] - P[L[c]].
// Trades one vector store per element for the per-segment loop exit, which
// mispredicts on short random-length segments.
template <class D, class Idx>
HWY_INLINE void TilePrefixSums(D d, const Idx* HWY_RESTRICT perm,
                               const Idx* HWY_RESTRICT off, size_t buckets,
                               size_t K, const int8_t* HWY_RESTRICT tile,
                               int32_t* HWY_RESTRICT prefix,
                               int32_t* HWY_RESTRICT u) {
  const size_t TT = hn::Lanes(d);
  auto run = hn::Zero(d);
  hn::Store(run, d, prefix);
  for (size_t p = 0; p < K; ++p) {
    run = hn::Add(run, LoadColumn(d, tile + size_t{perm[p]} * TT));
    hn::Store(run, d, prefix + (p + 1) * TT);
  }
  for (size_t c = 0; c < buckets; ++c)
    hn::Store(hn::Sub(hn::Load(d, prefix + size_t{off[c + 1]} * TT),
                      hn::Load(d, prefix + size_t{off[c]} * TT)),
              d, u + c * TT);
}

// Histogram form of the above: u[code[j]] += column j, natural column order
// (contiguous activation reads, no permutation, no branches).
template <int NV, class D, class Code, class TileT>
HWY_INLINE void TileHistogramSums(D d, const Code* HWY_RESTRICT code,
                                  size_t buckets, size_t K,
                                  const TileT* HWY_RESTRICT tile,
                                  hn::TFromD<D>* HWY_RESTRICT u) {
  const size_t N = hn::Lanes(d);
  const size_t TT = NV * N;
  for (size_t i = 0; i < buckets * TT; i += N) hn::Store(hn::Zero(d), d, u + i);
  for (size_t j = 0; j < K; ++j) {
    auto* pu = u + size_t{code[j]} * TT;
    const TileT* col = tile + j * TT;
    for (int v = 0; v < NV; ++v)
      hn::Store(hn::Add(hn::Load(d, pu + v * N), LoadColumn(d, col + v * N)), d,
                pu + v * N);
  }
}

// Lane-parallel MSB-first fold: each bucket is TT = NV*N lanes (one per
// token); out[t*TT + lane].
template <int NV, class D>
HWY_INLINE void FoldTile(D d, size_t radix, int rows,
                         hn::TFromD<D>* HWY_RESTRICT u,
                         hn::TFromD<D>* HWY_RESTRICT out) {
  const size_t N = hn::Lanes(d);
  const size_t TT = NV * N;
  size_t S = 1;
  for (int t = 1; t < rows; ++t) S *= radix;
  for (int t = 0; t < rows; ++t, S /= radix) {
    hn::Vec<D> r[NV];
    for (int v = 0; v < NV; ++v) r[v] = hn::Zero(d);
    if (radix == 3) {
      for (size_t i = 0; i < S; ++i) {
        for (int v = 0; v < NV; ++v) {
          auto* pa = u + i * TT + v * N;
          const auto va = hn::Load(d, pa);
          const auto vb = hn::Load(d, pa + S * TT);
          const auto vc = hn::Load(d, pa + 2 * S * TT);
          r[v] = hn::Add(r[v], hn::Sub(vc, va));
          hn::Store(hn::Add(hn::Add(va, vb), vc), d, pa);
        }
      }
    } else {
      for (size_t i = 0; i < S; ++i) {
        for (int v = 0; v < NV; ++v) {
          auto* pa = u + i * TT + v * N;
          const auto va = hn::Load(d, pa);
          const auto vb = hn::Load(d, pa + S * TT);
          r[v] = hn::Add(r[v], vb);
          hn::Store(hn::Add(va, vb), d, pa);
        }
      }
    }
    for (int v = 0; v < NV; ++v) hn::Store(r[v], d, out + t * TT + v * N);
  }
}

// All tokens. x is token-major (tokens x K) int8 or float; act_scale is per
// token (int8) or nullptr (float).
template <int NV, class D, class TileT>
void GemmTiled(D d, const Index& ix, const HistCodes& hx, int loop,
               const TileT* HWY_RESTRICT x,
               size_t tokens, int threads, const float* act_scale,
               float w_scale, float* HWY_RESTRICT y) {
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
  const int fold_rows = rsr_index::FoldRows(ix.form, k);
  const size_t radix = Radix(ix.form);
  const size_t align = (16 + k - 1) / k;
  ParallelChunks(ix.blocks, threads, align, [&](size_t b0, size_t b1) {
    AlignedBuffer<T> u(ix.buckets * TT);
    constexpr bool kPrefix = NV == 1 && hwy::IsSame<T, int32_t>();
    AlignedBuffer<T> prefix(kPrefix && loop == 0 ? (K + 1) * TT : 0);
    AlignedBuffer<T> out(static_cast<size_t>(fold_rows) * TT);
    for (size_t b = b0; b < b1; ++b) {
      for (size_t tile = 0; tile < tiles; ++tile) {
        const TileT* xtile = xt.data() + tile * K * TT;
        if (loop == 2) {
          if (hx.wide)
            TileHistogramSums<NV>(d, hx.codes16.data() + b * K, ix.buckets, K,
                                  xtile, u.data());
          else
            TileHistogramSums<NV>(d, hx.codes8.data() + b * K, ix.buckets, K,
                                  xtile, u.data());
        } else if (kPrefix && loop == 0) {
          if constexpr (kPrefix) {
            if (ix.wide)
              TilePrefixSums(d, ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                             ix.buckets, K, xtile, prefix.data(), u.data());
            else
              TilePrefixSums(d, ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                             ix.buckets, K, xtile, prefix.data(), u.data());
          }
        } else if (ix.wide) {
          TileSegmentSums<NV>(d, ix.Perm<uint32_t>(b), ix.Offsets<uint32_t>(b),
                              ix.buckets, xtile, u.data());
        } else {
          TileSegmentSums<NV>(d, ix.Perm<uint16_t>(b), ix.Offsets<uint16_t>(b),
                              ix.buckets, xtile, u.data());
        }
        FoldTile<NV>(d, radix, fold_rows, u.data(), out.data());
        const size_t lanes = std::min(TT, tokens - tile * TT);
        for (int t = 0; t < k; ++t) {
          const size_t r = b * k + t;
          if (r >= M) break;
          for (size_t lane = 0; lane < lanes; ++lane) {
            const size_t tok = tile * TT + lane;
            T v = out[t * TT + lane];
            if (ix.form == CodeForm::kPosNegBits)
              v = static_cast<T>(v - out[(k + t) * TT + lane]);
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
// tokens (measured: see the report at the bottom of the file).
template <class T, class TileT>
void GemmDispatch(const Index& ix, const HistCodes& hx, int loop,
                  const TileT* x, size_t tokens, int threads,
                  const float* act_scale, float w_scale, float* y) {
  const hn::ScalableTag<T> df;
  const size_t L = hn::Lanes(df);
  if (tokens <= 4) {
    GemmTiled<1>(hn::CappedTag<T, 4>(), ix, hx, loop, x, tokens, threads, act_scale,
                 w_scale, y);
  } else if (tokens <= 8) {
    GemmTiled<1>(hn::CappedTag<T, 8>(), ix, hx, loop, x, tokens, threads, act_scale,
                 w_scale, y);
  } else if (tokens <= L) {
    GemmTiled<1>(df, ix, hx, loop, x, tokens, threads, act_scale, w_scale, y);
  } else {
    GemmTiled<2>(df, ix, hx, loop, x, tokens, threads, act_scale, w_scale, y);
  }
}

void RsrGemmI8(const Index& ix, const HistCodes& hx, int loop, const int8_t* q,
               size_t tokens, int threads, const float* act_scale,
               float w_scale, float* y) {
  GemmDispatch<int32_t>(ix, hx, loop, q, tokens, threads, act_scale, w_scale, y);
}

void RsrGemmF32(const Index& ix, const HistCodes& hx, int loop, const float* x,
                size_t tokens, int threads, float w_scale, float* y) {
  GemmDispatch<float>(ix, hx, loop, x, tokens, threads, nullptr, w_scale, y);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

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
// Ternary code, best k each, GEMV: base-3 2560^2 0.59 ms (k=5), 4096^2
// 1.41 (k=5); 2k-bit codes (4^k buckets, at most 3^k non-empty) 0.73 (k=4),
// 1.75 (k=4): the 2k-bit code loses 1.24x (more buckets for the same k, so
// a smaller k and more blocks) and needs 4.0-4.5 bits/weight vs 3.4-3.5.
int RsrPPSimdDefaultK(size_t cols, bool binary) {
  const double l2 = std::log2(static_cast<double>(std::max<size_t>(cols, 1)));
  const int k = binary ? static_cast<int>(std::lround(l2)) - 3
                       : static_cast<int>(std::lround(l2 / std::log2(3.0))) - 2;
  return std::clamp(k, 1, binary ? 12 : 8);
}

namespace {

using rsr_index::CodeForm;
constexpr int kDefaultLoop = 0;

// Experiment knobs (development only; defaults are the measured winners):
// RSR_SIMD_CODE=bits selects the 2k-bit (pos<<k | neg) ternary code,
// RSR_SIMD_LOOP=gather the gather+prefix Gemv loop.
CodeForm TernaryForm() {
  const char* e = std::getenv("RSR_SIMD_CODE");
  return e && std::strcmp(e, "bits") == 0 ? CodeForm::kPosNegBits
                                          : CodeForm::kBase3;
}
int LoopChoice() {
  const char* e = std::getenv("RSR_SIMD_LOOP");
  if (e && std::strcmp(e, "gather") == 0) return 1;
  if (e && std::strcmp(e, "hist") == 0) return 2;
  if (e && std::strcmp(e, "perm") == 0) return 0;
  return kDefaultLoop;
}

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
  size_t PreparedBytes() const override { return ix_.Bytes() + hx_.Bytes(); }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override {
    const bool binary = w.IsBinary();
    const CodeForm form = binary ? CodeForm::kBinary : TernaryForm();
    int k = options().k;
    if (k == 0) k = RsrPPSimdDefaultK(w.cols(), binary);
    loop_ = LoopChoice();
    ix_ = rsr_index::Build(w, k, form, +1, threads());
    hx_ = rsr_simd::HistCodes{};
    if (loop_ == 2) {  // codes from the index, then drop the permutation
      const size_t K = ix_.cols;
      hx_.wide = ix_.buckets > 256;
      if (hx_.wide)
        hx_.codes16.Resize(ix_.blocks * K);
      else
        hx_.codes8.Resize(ix_.blocks * K);
      ParallelFor(ix_.blocks, threads(), [&](size_t b) {
        for (size_t c = 0; c < ix_.buckets; ++c)
          for (size_t p = ix_.Offset(b, c); p < ix_.Offset(b, c + 1); ++p) {
            const size_t j = ix_.PermAt(b, p);
            if (hx_.wide)
              hx_.codes16[b * K + j] = static_cast<uint16_t>(c);
            else
              hx_.codes8[b * K + j] = static_cast<uint8_t>(c);
          }
      });
      ix_.perm16 = {};
      ix_.perm32 = {};
      ix_.off16 = {};
      ix_.off32 = {};
    }
  }

  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    if (xq.tokens == 1) {
      HWY_DYNAMIC_DISPATCH(RsrGemvI8)(ix_, hx_, xq.q.data(), threads(), loop_,
                                      xq.scale[0], weight_scale(), y);
    } else {
      HWY_DYNAMIC_DISPATCH(RsrGemmI8)(ix_, hx_, loop_, xq.q.data(), xq.tokens, threads(),
                                      xq.scale.data(), weight_scale(), y);
    }
  }

  void GemmF32(const float* x, size_t tokens, float* y) const override {
    if (tokens == 1)
      HWY_DYNAMIC_DISPATCH(RsrGemvF32)(ix_, hx_, x, threads(), loop_,
                                       weight_scale(), y);
    else
      HWY_DYNAMIC_DISPATCH(RsrGemmF32)(ix_, hx_, loop_, x, tokens, threads(),
                                       weight_scale(), y);
  }

 private:
  rsr_index::Index ix_;  // metadata only (no buffers) in histogram form
  rsr_simd::HistCodes hx_;
  int loop_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> MakeRsrPPSimd(const KernelOptions& o) {
  return std::make_unique<RsrPPSimd>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
