// rsrpp-simd, int8 GEMM (N >= 2 tokens) on the padded index
// (rsrpp_layout.h): compiled once per Highway target by rsrpp_simd.cc.
//
// Activations: a tile of NV vectors of T = Lanes(d8) tokens, transposed once
// per call so column j of the tile is NV*T contiguous bytes, biased
// u = q + 128 (bytes in [0, 255]); column K is zero (the padding entries).
//
// Per row block, two phases per chunk of kChunkGroups groups of 4 positions:
//  1. Running prefix, no data-dependent branch: per position one vector load
//     per T tokens, read as T/2 16-bit words w (token 2i in the low byte,
//     2i+1 in the high byte); A += w, H += w >> 8 (mod 2^16); A and H stored
//     once per group of 4 positions (bucket boundaries are multiples of 4).
//  2. Bucket sums in bucket order: dA, dH = prefix differences at the bucket's
//     ends; odd tokens' sum = dH, even tokens' = dA - (dH << 8), each exact as
//     uint16 for buckets of <= 257 columns (rsrpp_layout.h). Widened to four
//     int32 vectors (tokens 4j, 4j+1, 4j+2, 4j+3 in lane j) with And / shift,
//     and folded at once, LSB digit first as the buckets arrive: the two
//     lowest levels (rows k-1, k-2) in registers, the rest in a small state
//     array. No bucket-sum array is written or read back.
// Blocks with a longer bucket (PaddedIndex::narrow == 0) take the same two
// phases with int32 prefix lanes (T/4 tokens per vector, lane j of quarter i
// = token i*T/4 + j).
// The fold sums biased activations: D = sum_j w_j u_j - 128 row_sum.

#if defined(RSR_KERNELS_RSR_RSRPP_GEMM_I8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_KERNELS_RSR_RSRPP_GEMM_I8_INL_H_
#undef RSR_KERNELS_RSR_RSRPP_GEMM_I8_INL_H_
#else
#define RSR_KERNELS_RSR_RSRPP_GEMM_I8_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hwy/highway.h"
#include "kernels/core/aligned.h"
#include "kernels/core/parallel.h"
#include "kernels/rsr/rsrpp_layout.h"
#include "rsr/quant.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace gemm_i8 {

using rsr_index::kGroup;
using rsr_index::PaddedIndex;

// Groups of 4 positions per chunk: the prefix of a chunk stays in L1
// (64 groups x 2 vectors x 128 bytes = 16 KiB narrow, 32 KiB wide at NV = 2).
constexpr size_t kChunkGroups = 64;

// One fold level for the four quarters: digit 0 starts the level's
// accumulator; radix 3: row -= s at digit 0, += s at digit 2; radix 2:
// row += s at digit 1.
template <size_t R, class V>
HWY_INLINE void FoldLevel(size_t digit, V s0, V s1, V s2, V s3, V& a0, V& a1,
                          V& a2, V& a3, V& r0, V& r1, V& r2, V& r3) {
  if (digit == 0) {
    a0 = s0, a1 = s1, a2 = s2, a3 = s3;
    if constexpr (R == 3) {
      r0 = hn::Sub(r0, s0), r1 = hn::Sub(r1, s1);
      r2 = hn::Sub(r2, s2), r3 = hn::Sub(r3, s3);
    }
    return;
  }
  a0 = hn::Add(a0, s0), a1 = hn::Add(a1, s1);
  a2 = hn::Add(a2, s2), a3 = hn::Add(a3, s3);
  if (digit == R - 1) {
    r0 = hn::Add(r0, s0), r1 = hn::Add(r1, s1);
    r2 = hn::Add(r2, s2), r3 = hn::Add(r3, s3);
  }
}

// Fold state of one token vector (int32, L32 = lanes of one quarter):
// prev (the prefix at the last bucket end, 4 vector slots), then per level
// 0..k-1 four accumulator quarters, then per row 0..k-1 four row quarters.
inline size_t StateInts(int k, size_t L32) {
  return (4 + 8 * static_cast<size_t>(k)) * 4 * L32;
}

// Levels >= 2 (rows k-3 .. 0): the carried sum t of one complete radix^2
// bucket group h (its index counted in groups).
template <size_t R, class D32>
HWY_INLINE void CarryHigh(D32 d32, int k, size_t h, int32_t* HWY_RESTRICT acc,
                          int32_t* HWY_RESTRICT row, hn::Vec<D32> t0,
                          hn::Vec<D32> t1, hn::Vec<D32> t2, hn::Vec<D32> t3) {
  const size_t L = hn::Lanes(d32);
  for (int level = 2; level < k; ++level) {
    const size_t digit = h % R;
    h /= R;
    int32_t* a = acc + static_cast<size_t>(level) * 4 * L;
    int32_t* r = row + static_cast<size_t>(k - 1 - level) * 4 * L;
    auto a0 = hn::Load(d32, a), a1 = hn::Load(d32, a + L);
    auto a2 = hn::Load(d32, a + 2 * L), a3 = hn::Load(d32, a + 3 * L);
    auto r0 = hn::Load(d32, r), r1 = hn::Load(d32, r + L);
    auto r2 = hn::Load(d32, r + 2 * L), r3 = hn::Load(d32, r + 3 * L);
    FoldLevel<R>(digit, t0, t1, t2, t3, a0, a1, a2, a3, r0, r1, r2, r3);
    hn::Store(a0, d32, a), hn::Store(a1, d32, a + L);
    hn::Store(a2, d32, a + 2 * L), hn::Store(a3, d32, a + 3 * L);
    hn::Store(r0, d32, r), hn::Store(r1, d32, r + L);
    hn::Store(r2, d32, r + 2 * L), hn::Store(r3, d32, r + 3 * L);
    if (digit != R - 1) return;
    t0 = a0, t1 = a1, t2 = a2, t3 = a3;
  }
}

// Phase 2 for buckets [c0, c1) of one token vector: slot(c) is the prefix
// slot of bucket c's end. kWide: int32 prefix (4 quarters); else 16-bit A/H.
template <size_t R, bool kWide, class D8, class Idx>
HWY_INLINE void FoldBuckets(D8 /*d8*/, int k, const Idx* HWY_RESTRICT group,
                            size_t c0, size_t c1, size_t g0,
                            const uint8_t* HWY_RESTRICT pbuf, size_t slot_bytes,
                            int32_t* HWY_RESTRICT state) {
  const hn::Repartition<int32_t, D8> d32;
  const hn::Repartition<uint32_t, D8> du32;
  const hn::Repartition<uint16_t, D8> d16;
  const size_t L = hn::Lanes(d32);
  int32_t* acc = state + 4 * L;
  int32_t* row = acc + static_cast<size_t>(k) * 4 * L;
  int32_t* a0p = acc;          // level 0
  int32_t* a1p = acc + 4 * L;  // level 1 (k >= 2)
  int32_t* r0p = row + static_cast<size_t>(k - 1) * 4 * L;  // row k-1
  int32_t* r1p = k >= 2 ? row + static_cast<size_t>(k - 2) * 4 * L : r0p;
  auto p0 = hn::Load(d32, state), p1 = hn::Load(d32, state + L);
  auto p2 = hn::Load(d32, state + 2 * L), p3 = hn::Load(d32, state + 3 * L);
  auto a00 = hn::Load(d32, a0p), a01 = hn::Load(d32, a0p + L);
  auto a02 = hn::Load(d32, a0p + 2 * L), a03 = hn::Load(d32, a0p + 3 * L);
  auto a10 = hn::Load(d32, a1p), a11 = hn::Load(d32, a1p + L);
  auto a12 = hn::Load(d32, a1p + 2 * L), a13 = hn::Load(d32, a1p + 3 * L);
  auto r00 = hn::Load(d32, r0p), r01 = hn::Load(d32, r0p + L);
  auto r02 = hn::Load(d32, r0p + 2 * L), r03 = hn::Load(d32, r0p + 3 * L);
  auto r10 = hn::Load(d32, r1p), r11 = hn::Load(d32, r1p + L);
  auto r12 = hn::Load(d32, r1p + 2 * L), r13 = hn::Load(d32, r1p + 3 * L);
  const auto lo16 = hn::Set(du32, 0xFFFFu);
  for (size_t c = c0; c < c1; ++c) {
    const uint8_t* slot = pbuf + (size_t{group[c + 1]} - g0) * slot_bytes;
    hn::Vec<decltype(d32)> s0, s1, s2, s3;
    if constexpr (kWide) {
      const int32_t* e = reinterpret_cast<const int32_t*>(slot);
      const auto e0 = hn::Load(d32, e), e1 = hn::Load(d32, e + L);
      const auto e2 = hn::Load(d32, e + 2 * L), e3 = hn::Load(d32, e + 3 * L);
      s0 = hn::Sub(e0, p0), s1 = hn::Sub(e1, p1);
      s2 = hn::Sub(e2, p2), s3 = hn::Sub(e3, p3);
      p0 = e0, p1 = e1, p2 = e2, p3 = e3;
    } else {
      const uint16_t* e = reinterpret_cast<const uint16_t*>(slot);
      const auto ea = hn::Load(d16, e), eh = hn::Load(d16, e + 2 * L);
      const auto da = hn::Sub(ea, hn::BitCast(d16, p0));
      const auto dh = hn::Sub(eh, hn::BitCast(d16, p1));
      p0 = hn::BitCast(d32, ea), p1 = hn::BitCast(d32, eh);
      const auto even = hn::BitCast(du32, hn::Sub(da, hn::ShiftLeft<8>(dh)));
      const auto odd = hn::BitCast(du32, dh);
      s0 = hn::BitCast(d32, hn::And(even, lo16));
      s1 = hn::BitCast(d32, hn::And(odd, lo16));
      s2 = hn::BitCast(d32, hn::ShiftRight<16>(even));
      s3 = hn::BitCast(d32, hn::ShiftRight<16>(odd));
    }
    const size_t d0 = c % R;
    FoldLevel<R>(d0, s0, s1, s2, s3, a00, a01, a02, a03, r00, r01, r02, r03);
    if (d0 == R - 1 && k >= 2) {
      const size_t d1 = (c / R) % R;
      FoldLevel<R>(d1, a00, a01, a02, a03, a10, a11, a12, a13, r10, r11, r12,
                   r13);
      if (d1 == R - 1 && k >= 3)
        CarryHigh<R>(d32, k, c / (R * R), acc, row, a10, a11, a12, a13);
    }
  }
  hn::Store(p0, d32, state), hn::Store(p1, d32, state + L);
  hn::Store(p2, d32, state + 2 * L), hn::Store(p3, d32, state + 3 * L);
  hn::Store(a00, d32, a0p), hn::Store(a01, d32, a0p + L);
  hn::Store(a02, d32, a0p + 2 * L), hn::Store(a03, d32, a0p + 3 * L);
  if (k >= 2) {
    hn::Store(a10, d32, a1p), hn::Store(a11, d32, a1p + L);
    hn::Store(a12, d32, a1p + 2 * L), hn::Store(a13, d32, a1p + 3 * L);
    hn::Store(r10, d32, r1p), hn::Store(r11, d32, r1p + L);
    hn::Store(r12, d32, r1p + 2 * L), hn::Store(r13, d32, r1p + 3 * L);
  }
  hn::Store(r00, d32, r0p), hn::Store(r01, d32, r0p + L);
  hn::Store(r02, d32, r0p + 2 * L), hn::Store(r03, d32, r0p + 3 * L);
}

// Stores the running A, H of NV token vectors into one prefix slot.
template <int NV, class D16>
HWY_INLINE void StoreNarrow(D16 d16, uint8_t* HWY_RESTRICT slot,
                            hn::Vec<D16> A0, hn::Vec<D16> H0, hn::Vec<D16> A1,
                            hn::Vec<D16> H1) {
  const size_t L16 = hn::Lanes(d16);
  uint16_t* s = reinterpret_cast<uint16_t*>(slot);
  hn::Store(A0, d16, s);
  hn::Store(H0, d16, s + L16);
  if constexpr (NV == 2) {
    hn::Store(A1, d16, s + 2 * L16);
    hn::Store(H1, d16, s + 3 * L16);
  }
}

// Phase 1, 16-bit lanes: groups [g0, g1) into slots 1.. of pbuf (slot 0 =
// the prefix at g0). Slot layout per token vector v: A (T/2 words), H.
template <int NV, class D8, class Idx>
HWY_INLINE void PrefixNarrow(D8 d8, const Idx* HWY_RESTRICT perm, size_t g0,
                             size_t g1, const uint8_t* HWY_RESTRICT xt,
                             uint8_t* HWY_RESTRICT pbuf, size_t slot_bytes,
                             hn::Vec<hn::Repartition<uint16_t, D8>>& A0,
                             hn::Vec<hn::Repartition<uint16_t, D8>>& H0,
                             hn::Vec<hn::Repartition<uint16_t, D8>>& A1,
                             hn::Vec<hn::Repartition<uint16_t, D8>>& H1) {
  const hn::Repartition<uint16_t, D8> d16;
  const size_t T = hn::Lanes(d8);
  const size_t W = NV * T;
  StoreNarrow<NV>(d16, pbuf, A0, H0, A1, H1);
  const Idx* HWY_RESTRICT q = perm + g0 * kGroup;
  uint8_t* slot = pbuf + slot_bytes;
  for (size_t g = g0; g < g1; ++g, q += kGroup, slot += slot_bytes) {
    const uint8_t* c0 = xt + size_t{q[0]} * W;
    const uint8_t* c1 = xt + size_t{q[1]} * W;
    const uint8_t* c2 = xt + size_t{q[2]} * W;
    const uint8_t* c3 = xt + size_t{q[3]} * W;
    {
      const auto x0 = hn::BitCast(d16, hn::LoadU(d8, c0));
      const auto x1 = hn::BitCast(d16, hn::LoadU(d8, c1));
      const auto x2 = hn::BitCast(d16, hn::LoadU(d8, c2));
      const auto x3 = hn::BitCast(d16, hn::LoadU(d8, c3));
      A0 = hn::Add(A0, hn::Add(hn::Add(x0, x1), hn::Add(x2, x3)));
      H0 = hn::Add(H0, hn::Add(hn::Add(hn::ShiftRight<8>(x0),
                                       hn::ShiftRight<8>(x1)),
                               hn::Add(hn::ShiftRight<8>(x2),
                                       hn::ShiftRight<8>(x3))));
    }
    if constexpr (NV == 2) {
      const auto x0 = hn::BitCast(d16, hn::LoadU(d8, c0 + T));
      const auto x1 = hn::BitCast(d16, hn::LoadU(d8, c1 + T));
      const auto x2 = hn::BitCast(d16, hn::LoadU(d8, c2 + T));
      const auto x3 = hn::BitCast(d16, hn::LoadU(d8, c3 + T));
      A1 = hn::Add(A1, hn::Add(hn::Add(x0, x1), hn::Add(x2, x3)));
      H1 = hn::Add(H1, hn::Add(hn::Add(hn::ShiftRight<8>(x0),
                                       hn::ShiftRight<8>(x1)),
                               hn::Add(hn::ShiftRight<8>(x2),
                                       hn::ShiftRight<8>(x3))));
    }
    StoreNarrow<NV>(d16, slot, A0, H0, A1, H1);
  }
}

// Phase 1, int32 lanes (blocks with a bucket longer than kMaxNarrowSegment):
// per token vector four quarters of T/4 tokens. Running sums live in `run`
// (4 * NV vectors) between chunks.
template <int NV, class D8, class Idx>
HWY_INLINE void PrefixWide(D8 d8, const Idx* HWY_RESTRICT perm, size_t g0,
                           size_t g1, const uint8_t* HWY_RESTRICT xt,
                           uint8_t* HWY_RESTRICT pbuf, size_t slot_bytes,
                           int32_t* HWY_RESTRICT run) {
  const hn::Repartition<int32_t, D8> d32;
  const hn::Rebind<uint8_t, decltype(d32)> dq;
  const size_t T = hn::Lanes(d8), L = hn::Lanes(d32);
  const size_t W = NV * T;
  for (size_t v = 0; v < static_cast<size_t>(NV); ++v) {
    int32_t* r = run + v * 4 * L;
    auto P0 = hn::Load(d32, r), P1 = hn::Load(d32, r + L);
    auto P2 = hn::Load(d32, r + 2 * L), P3 = hn::Load(d32, r + 3 * L);
    int32_t* s = reinterpret_cast<int32_t*>(pbuf) + v * 4 * L;
    const size_t stride = slot_bytes / sizeof(int32_t);
    hn::Store(P0, d32, s), hn::Store(P1, d32, s + L);
    hn::Store(P2, d32, s + 2 * L), hn::Store(P3, d32, s + 3 * L);
    const Idx* HWY_RESTRICT q = perm + g0 * kGroup;
    for (size_t g = g0; g < g1; ++g) {
      for (size_t i = 0; i < kGroup; ++i, ++q) {
        const uint8_t* col = xt + size_t{*q} * W + v * T;
        P0 = hn::Add(P0, hn::PromoteTo(d32, hn::LoadU(dq, col)));
        P1 = hn::Add(P1, hn::PromoteTo(d32, hn::LoadU(dq, col + L)));
        P2 = hn::Add(P2, hn::PromoteTo(d32, hn::LoadU(dq, col + 2 * L)));
        P3 = hn::Add(P3, hn::PromoteTo(d32, hn::LoadU(dq, col + 3 * L)));
      }
      s += stride;
      hn::Store(P0, d32, s), hn::Store(P1, d32, s + L);
      hn::Store(P2, d32, s + 2 * L), hn::Store(P3, d32, s + 3 * L);
    }
    hn::Store(P0, d32, r), hn::Store(P1, d32, r + L);
    hn::Store(P2, d32, r + 2 * L), hn::Store(P3, d32, r + 3 * L);
  }
}

// One block, one tile: rows' int32 sums (biased) into each token vector's
// state rows. state: NV * StateInts(k, L32); pbuf: (kChunkGroups + 1) slots
// of NV * 4 vectors; run: 4 * NV vectors (wide only).
template <int NV, size_t R, bool kWide, class D8, class Idx>
void BlockTile(D8 d8, int k, size_t buckets, const Idx* HWY_RESTRICT perm,
               const Idx* HWY_RESTRICT group, const uint8_t* HWY_RESTRICT xt,
               uint8_t* HWY_RESTRICT pbuf, int32_t* HWY_RESTRICT state,
               int32_t* HWY_RESTRICT run) {
  const hn::Repartition<uint16_t, D8> d16;
  const size_t L32 = hn::Lanes(d8) / 4;
  const size_t state_ints = StateInts(k, L32);
  const size_t vec_bytes = hn::Lanes(d8);
  // Narrow slots hold A, H per token vector; wide ones four quarters.
  const size_t slot_bytes = NV * (kWide ? 4 : 2) * vec_bytes;
  std::fill(state, state + NV * state_ints, 0);
  if constexpr (kWide) std::fill(run, run + NV * 4 * L32, 0);
  auto A0 = hn::Zero(d16), H0 = hn::Zero(d16);
  auto A1 = hn::Zero(d16), H1 = hn::Zero(d16);
  const size_t groups = group[buckets];
  size_t c = 0;
  size_t g0 = 0;
  do {
    const size_t g1 = std::min(groups, g0 + kChunkGroups);
    if constexpr (kWide) {
      PrefixWide<NV>(d8, perm, g0, g1, xt, pbuf, slot_bytes, run);
    } else {
      PrefixNarrow<NV>(d8, perm, g0, g1, xt, pbuf, slot_bytes, A0, H0, A1,
                       H1);
    }
    size_t c1 = c;
    while (c1 < buckets && size_t{group[c1 + 1]} <= g1) ++c1;
    for (size_t v = 0; v < static_cast<size_t>(NV); ++v) {
      const size_t v_off = kWide ? v * 4 * vec_bytes : v * 2 * vec_bytes;
      FoldBuckets<R, kWide>(d8, k, group, c, c1, g0, pbuf + v_off, slot_bytes,
                            state + v * state_ints);
    }
    c = c1;
    g0 = g1;
  } while (g0 < groups);
}

// Token of lane j in quarter i of a token vector: narrow 4j + i, wide
// i * T/4 + j.
inline size_t QuarterToken(bool wide, size_t T, size_t i, size_t j) {
  return wide ? i * (T / 4) + j : 4 * j + i;
}

// All tokens: x is token-major (tokens x K) int8.
template <int NV, class D8>
void GemmI8Padded(D8 d8, const PaddedIndex& px, const int8_t* HWY_RESTRICT x,
                  size_t tokens, int threads, const float* act_scale,
                  float w_scale, float* HWY_RESTRICT y) {
  const hn::Repartition<int32_t, D8> d32;
  const hn::Repartition<float, D8> df;
  const size_t K = px.cols, M = px.rows;
  const size_t T = hn::Lanes(d8), L32 = hn::Lanes(d32);
  const size_t W = NV * T;  // tokens per tile
  const size_t tiles = (tokens + W - 1) / W;
  const size_t tile_bytes = (K + 1) * W;
  // Transposed, biased activations; column K of each tile stays zero.
  AlignedBuffer<uint8_t> xt(tiles * tile_bytes);
  constexpr size_t kColChunk = 256;
  const size_t col_chunks = (K + kColChunk - 1) / kColChunk;
  ParallelFor(tiles * col_chunks, threads, [&](size_t job) {
    const size_t tile = job / col_chunks;
    const size_t j0 = (job % col_chunks) * kColChunk;
    const size_t j1 = std::min(K, j0 + kColChunk);
    uint8_t* dst = xt.data() + tile * tile_bytes;
    for (size_t lane = 0; lane < W; ++lane) {
      const size_t tok = tile * W + lane;
      if (tok >= tokens) break;
      const int8_t* src = x + tok * K;
      for (size_t j = j0; j < j1; ++j)
        dst[j * W + lane] = static_cast<uint8_t>(src[j] ^ 0x80);
    }
  });
  // Per-lane scales in each path's lane order (1 past the last token).
  AlignedBuffer<float> scales(2 * tiles * W);
  for (size_t tile = 0; tile < tiles; ++tile)
    for (int wide = 0; wide < 2; ++wide)
      for (size_t v = 0; v < static_cast<size_t>(NV); ++v)
        for (size_t i = 0; i < 4; ++i)
          for (size_t j = 0; j < L32; ++j) {
            const size_t tok = tile * W + v * T + QuarterToken(wide, T, i, j);
            scales[(wide * tiles + tile) * W + v * T + i * L32 + j] =
                tok < tokens ? act_scale[tok] : 1.0f;
          }
  const int k = px.k;
  const size_t radix = px.form == rsr_index::CodeForm::kBase3 ? 3 : 2;
  const size_t align = (16 + k - 1) / k;
  const size_t state_ints = StateInts(k, L32);
  // Position of token lane tl of a tile in the quarter lane order, per path.
  std::vector<uint32_t> pos(2 * W);
  for (int wide = 0; wide < 2; ++wide)
    for (size_t p = 0; p < W; ++p) {
      const size_t v = p / T, i = (p % T) / L32, j = p % L32;
      pos[wide * W + v * T + QuarterToken(wide, T, i, j)] =
          static_cast<uint32_t>(p);
    }
  // Rows are staged per batch of blocks (>= 128 rows) and written out per
  // token as contiguous runs: a direct y[tok * M + r] per lane touched one
  // cache line per token and row (30% of the time at N = 128).
  const size_t batch_blocks = (128 + k - 1) / k;
  const size_t batch_rows = batch_blocks * k;
  ParallelChunks(px.blocks, threads, align, [&](size_t b0, size_t b1) {
    AlignedBuffer<uint8_t> pbuf((kChunkGroups + 1) * NV * 4 * T);
    AlignedBuffer<int32_t> state(NV * state_ints);
    AlignedBuffer<int32_t> run(NV * 4 * L32);
    AlignedBuffer<float> ybuf(batch_rows * W);
    std::vector<uint8_t> row_wide(batch_rows);
    const auto vw = hn::Set(df, w_scale);
    for (size_t tile = 0; tile < tiles; ++tile) {
      const uint8_t* xtile = xt.data() + tile * tile_bytes;
      for (size_t bb = b0; bb < b1; bb += batch_blocks) {
        const size_t be = std::min(b1, bb + batch_blocks);
        for (size_t b = bb; b < be; ++b) {
          const bool wide = px.narrow[b] == 0;
          const auto run_block = [&](auto idx_tag) {
            using Idx = decltype(idx_tag);
            const Idx* perm = px.Perm<Idx>(b);
            const Idx* group = px.Groups<Idx>(b);
            if (radix == 3) {
              if (wide)
                BlockTile<NV, 3, true>(d8, k, px.buckets, perm, group, xtile,
                                       pbuf.data(), state.data(), run.data());
              else
                BlockTile<NV, 3, false>(d8, k, px.buckets, perm, group, xtile,
                                        pbuf.data(), state.data(), run.data());
            } else {
              if (wide)
                BlockTile<NV, 2, true>(d8, k, px.buckets, perm, group, xtile,
                                       pbuf.data(), state.data(), run.data());
              else
                BlockTile<NV, 2, false>(d8, k, px.buckets, perm, group, xtile,
                                        pbuf.data(), state.data(), run.data());
            }
          };
          if (px.wide)
            run_block(uint32_t{0});
          else
            run_block(uint16_t{0});
          // Rows: D = biased sum - 128 row_sum, dequantized per lane.
          const float* sc = scales.data() + ((wide ? tiles : 0) + tile) * W;
          for (int t = 0; t < k; ++t) {
            const size_t r = b * k + t;
            if (r >= M) break;
            const size_t rl = r - bb * k;
            row_wide[rl] = wide;
            const auto bias = hn::Set(d32, -128 * px.row_sum[r]);
            for (size_t v = 0; v < static_cast<size_t>(NV); ++v) {
              const int32_t* rows = state.data() + v * state_ints + 4 * L32 +
                                    static_cast<size_t>(k) * 4 * L32 +
                                    static_cast<size_t>(t) * 4 * L32;
              for (size_t i = 0; i < 4; ++i) {
                const size_t p = v * T + i * L32;
                const auto dot = hn::Add(hn::Load(d32, rows + i * L32), bias);
                hn::Store(hn::Mul(hn::Div(hn::ConvertTo(df, dot),
                                          hn::Load(df, sc + p)),
                                  vw),
                          df, ybuf.data() + rl * W + p);
              }
            }
          }
        }
        const size_t r0 = bb * k, r1 = std::min(M, be * k);
        const size_t lanes = std::min(W, tokens - tile * W);
        for (size_t tl = 0; tl < lanes; ++tl) {
          float* dst = y + (tile * W + tl) * M + r0;
          const uint32_t pn = pos[tl], pw = pos[W + tl];
          for (size_t rl = 0; rl < r1 - r0; ++rl)
            dst[rl] = ybuf[rl * W + (row_wide[rl] ? pw : pn)];
        }
      }
    }
  });
}

// Tile width from the token count: 16, 32 or one vector of tokens (capped
// tags shrink to the vector on narrower targets), two vectors beyond.
inline void GemmI8Dispatch(const PaddedIndex& px, const int8_t* x,
                           size_t tokens, int threads, const float* act_scale,
                           float w_scale, float* y) {
  const hn::ScalableTag<uint8_t> d8;
  const size_t L = hn::Lanes(d8);
  if (tokens <= 16) {
    GemmI8Padded<1>(hn::CappedTag<uint8_t, 16>(), px, x, tokens, threads,
                    act_scale, w_scale, y);
  } else if (tokens <= 32 && L > 32) {
    GemmI8Padded<1>(hn::CappedTag<uint8_t, 32>(), px, x, tokens, threads,
                    act_scale, w_scale, y);
  } else if (tokens <= L) {
    GemmI8Padded<1>(d8, px, x, tokens, threads, act_scale, w_scale, y);
  } else {
    GemmI8Padded<2>(d8, px, x, tokens, threads, act_scale, w_scale, y);
  }
}

}  // namespace gemm_i8

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
