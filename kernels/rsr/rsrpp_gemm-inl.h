// rsrpp-simd, float GEMM (N >= 2 tokens): the token-tiled per-target loops,
// compiled once per Highway target by rsrpp_simd.cc through foreach_target.h.
// (The int8 GEMM runs on the padded index: rsrpp_gemm_i8-inl.h.)
//
// A tile of TT tokens is stored token-minor (transposed once per call), so
// "gather column j" is one contiguous TT-wide load, each bucket is a TT-wide
// vector accumulator and the fold is lane-parallel.
//
// Portability: SVE vectors are sizeless (no arrays or struct members of
// them), so the one- or two-vector tile accumulators are named locals
// selected with `if constexpr`, not arrays. Every Highway target compiles the
// same code (x86 AVX3_DL/AVX3/AVX2/SSE4, aarch64 NEON/SVE/SVE2).

#if defined(RSR_KERNELS_RSR_RSRPP_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_KERNELS_RSR_RSRPP_GEMM_INL_H_
#undef RSR_KERNELS_RSR_RSRPP_GEMM_INL_H_
#else
#define RSR_KERNELS_RSR_RSRPP_GEMM_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/core/aligned.h"
#include "kernels/core/parallel.h"
#include "kernels/rsr/rsrpp_gemv-inl.h"  // Radix, kMaxFoldRows
#include "rsr/quant.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using rsr_index::CodeForm;
using rsr_index::Index;

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
  ParallelChunks(ix.blocks, threads, align, [&](size_t b0, size_t b1) {
    AlignedBuffer<T> u(ix.buckets * TT);
    AlignedBuffer<T> out(static_cast<size_t>(k) * TT);
    for (size_t b = b0; b < b1; ++b) {
      for (size_t tile = 0; tile < tiles; ++tile) {
        const TileT* xtile = xt.data() + tile * K * TT;
        if (ix.wide) {
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

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
