// rsrpp-simd, int8 GEMM (N >= 2 tokens) on the padded index
// (rsrpp_layout.h): compiled once per Highway target by rsrpp_simd.cc.
// Design measurements: docs/design-notes.md, "rsrpp-simd".
//
// Activations: tiles of T tokens, transposed once per call so column j of a
// tile is T contiguous bytes, biased u = q + 128 (bytes in [0, 255]); column
// K is zero (the padding entries point there). Two tile kinds, by N:
//   kQ = 4, T = 2 L16 (L16 = 16-bit lanes): one vector load reads T bytes as
//     L16 words w (token 2i in the low byte, 2i+1 in the high byte);
//     A += w and H += w >> 8, both mod 2^16.
//   kQ = 2, T = L16 (small N; capped tags for N <= 8 / 16): the bytes are
//     zero-extended to words; A += w.
//
// Per row block, two phases per chunk of kChunkGroups groups of 4 positions:
//  1. Running prefix, no data-dependent branch: A (and H) stored once per
//     group of 4 positions (bucket boundaries are multiples of 4).
//  2. Bucket sums in bucket order as prefix differences: kQ = 4: odd tokens'
//     sum dH, even tokens' dA - (dH << 8); kQ = 2: dA. Each exact as uint16
//     for buckets of <= 257 columns (rsrpp_layout.h). Widened to kQ int32
//     vectors (lane j of part i = token kQ j + i) with And / shift and folded
//     at once, LSB digit first as the buckets arrive: the two lowest levels
//     (rows k-1, k-2) in registers, the rest in a small state array. No
//     bucket-sum array is written and read back.
// Blocks with a longer bucket (PaddedIndex::narrow == 0) take the same two
// phases with int32 prefix lanes (lane j of part i = token i L32 + j).
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
// (65 slots x 128 bytes = 8 KiB narrow, 16 KiB wide on AVX-512).
constexpr size_t kChunkGroups = 64;

// One fold level for the kQ parts: digit 0 starts the level's accumulator;
// radix 3: row -= s at digit 0, += s at digit 2; radix 2: row += s at
// digit 1.
template <size_t R, int kQ, class V>
HWY_INLINE void FoldLevel(size_t digit, V s0, V s1, V s2, V s3, V& a0, V& a1,
                          V& a2, V& a3, V& r0, V& r1, V& r2, V& r3) {
  if (digit == 0) {
    a0 = s0, a1 = s1;
    if constexpr (kQ == 4) a2 = s2, a3 = s3;
    if constexpr (R == 3) {
      r0 = hn::Sub(r0, s0), r1 = hn::Sub(r1, s1);
      if constexpr (kQ == 4) r2 = hn::Sub(r2, s2), r3 = hn::Sub(r3, s3);
    }
    return;
  }
  a0 = hn::Add(a0, s0), a1 = hn::Add(a1, s1);
  if constexpr (kQ == 4) a2 = hn::Add(a2, s2), a3 = hn::Add(a3, s3);
  if (digit == R - 1) {
    r0 = hn::Add(r0, s0), r1 = hn::Add(r1, s1);
    if constexpr (kQ == 4) r2 = hn::Add(r2, s2), r3 = hn::Add(r3, s3);
  }
}

// Fold state of one tile (int32): prev (the prefix at the last
// bucket end, kQ vector slots), then per level 0..k-1 kQ accumulator parts,
// then per row 0..k-1 kQ row parts.
inline size_t StateInts(int k, int q, size_t L32) {
  return (1 + 2 * static_cast<size_t>(k)) * static_cast<size_t>(q) * L32;
}

template <int kQ, class D32>
HWY_INLINE void LoadParts(D32 d32, const int32_t* HWY_RESTRICT p,
                          hn::Vec<D32>& v0, hn::Vec<D32>& v1, hn::Vec<D32>& v2,
                          hn::Vec<D32>& v3) {
  const size_t L = hn::Lanes(d32);
  v0 = hn::Load(d32, p), v1 = hn::Load(d32, p + L);
  if constexpr (kQ == 4)
    v2 = hn::Load(d32, p + 2 * L), v3 = hn::Load(d32, p + 3 * L);
}
template <int kQ, class D32>
HWY_INLINE void StoreParts(D32 d32, hn::Vec<D32> v0, hn::Vec<D32> v1,
                           hn::Vec<D32> v2, hn::Vec<D32> v3,
                           int32_t* HWY_RESTRICT p) {
  const size_t L = hn::Lanes(d32);
  hn::Store(v0, d32, p), hn::Store(v1, d32, p + L);
  if constexpr (kQ == 4)
    hn::Store(v2, d32, p + 2 * L), hn::Store(v3, d32, p + 3 * L);
}

// Levels >= 2 (rows k-3 .. 0): the carried sum t of one complete radix^2
// bucket group h (its index counted in groups).
template <size_t R, int kQ, class D32>
HWY_INLINE void CarryHigh(D32 d32, int k, size_t h, int32_t* HWY_RESTRICT acc,
                          int32_t* HWY_RESTRICT row, hn::Vec<D32> t0,
                          hn::Vec<D32> t1, hn::Vec<D32> t2, hn::Vec<D32> t3) {
  const size_t part = kQ * hn::Lanes(d32);
  for (int level = 2; level < k; ++level) {
    const size_t digit = h % R;
    h /= R;
    int32_t* a = acc + static_cast<size_t>(level) * part;
    int32_t* r = row + static_cast<size_t>(k - 1 - level) * part;
    auto a0 = hn::Zero(d32), a1 = a0, a2 = a0, a3 = a0;
    auto r0 = a0, r1 = a0, r2 = a0, r3 = a0;
    LoadParts<kQ>(d32, a, a0, a1, a2, a3);
    LoadParts<kQ>(d32, r, r0, r1, r2, r3);
    FoldLevel<R, kQ>(digit, t0, t1, t2, t3, a0, a1, a2, a3, r0, r1, r2, r3);
    StoreParts<kQ>(d32, a0, a1, a2, a3, a);
    StoreParts<kQ>(d32, r0, r1, r2, r3, r);
    if (digit != R - 1) return;
    t0 = a0, t1 = a1, t2 = a2, t3 = a3;
  }
}

// Phase 2 for buckets [c0, c1) of one tile: the prefix at bucket c's
// end is in slot group[c + 1] - g0 of pbuf. kWide: int32 prefix parts; else
// 16-bit words (A, H for kQ = 4; A for kQ = 2).
template <size_t R, int kQ, bool kWide, class D16, class Idx>
HWY_INLINE void FoldBuckets(D16 d16, int k, const Idx* HWY_RESTRICT group,
                            size_t c0, size_t c1, size_t g0,
                            const uint8_t* HWY_RESTRICT pbuf, size_t slot_bytes,
                            int32_t* HWY_RESTRICT state) {
  const hn::Repartition<int32_t, D16> d32;
  const hn::Repartition<uint32_t, D16> du32;
  const size_t L = hn::Lanes(d32);
  const size_t part = kQ * L;
  int32_t* acc = state + part;
  int32_t* row = acc + static_cast<size_t>(k) * part;
  int32_t* a0p = acc;                                      // level 0
  int32_t* a1p = acc + part;                               // level 1 (k >= 2)
  int32_t* r0p = row + static_cast<size_t>(k - 1) * part;  // row k-1
  int32_t* r1p = k >= 2 ? row + static_cast<size_t>(k - 2) * part : r0p;
  auto p0 = hn::Zero(d32), p1 = p0, p2 = p0, p3 = p0;
  auto a00 = p0, a01 = p0, a02 = p0, a03 = p0;
  auto a10 = p0, a11 = p0, a12 = p0, a13 = p0;
  auto r00 = p0, r01 = p0, r02 = p0, r03 = p0;
  auto r10 = p0, r11 = p0, r12 = p0, r13 = p0;
  LoadParts<kQ>(d32, state, p0, p1, p2, p3);
  LoadParts<kQ>(d32, a0p, a00, a01, a02, a03);
  LoadParts<kQ>(d32, a1p, a10, a11, a12, a13);
  LoadParts<kQ>(d32, r0p, r00, r01, r02, r03);
  LoadParts<kQ>(d32, r1p, r10, r11, r12, r13);
  const auto lo16 = hn::Set(du32, 0xFFFFu);
  for (size_t c = c0; c < c1; ++c) {
    const uint8_t* slot = pbuf + (size_t{group[c + 1]} - g0) * slot_bytes;
    auto s0 = hn::Zero(d32), s1 = s0, s2 = s0, s3 = s0;
    if constexpr (kWide) {
      auto e0 = s0, e1 = s0, e2 = s0, e3 = s0;
      LoadParts<kQ>(d32, reinterpret_cast<const int32_t*>(slot), e0, e1, e2,
                    e3);
      s0 = hn::Sub(e0, p0), s1 = hn::Sub(e1, p1);
      p0 = e0, p1 = e1;
      if constexpr (kQ == 4) {
        s2 = hn::Sub(e2, p2), s3 = hn::Sub(e3, p3);
        p2 = e2, p3 = e3;
      }
    } else if constexpr (kQ == 4) {
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
    } else {
      const auto ea = hn::Load(d16, reinterpret_cast<const uint16_t*>(slot));
      const auto da = hn::BitCast(du32, hn::Sub(ea, hn::BitCast(d16, p0)));
      p0 = hn::BitCast(d32, ea);
      s0 = hn::BitCast(d32, hn::And(da, lo16));
      s1 = hn::BitCast(d32, hn::ShiftRight<16>(da));
    }
    const size_t d0 = c % R;
    FoldLevel<R, kQ>(d0, s0, s1, s2, s3, a00, a01, a02, a03, r00, r01, r02,
                     r03);
    if (d0 == R - 1 && k >= 2) {
      const size_t d1 = (c / R) % R;
      FoldLevel<R, kQ>(d1, a00, a01, a02, a03, a10, a11, a12, a13, r10, r11,
                       r12, r13);
      if (d1 == R - 1 && k >= 3)
        CarryHigh<R, kQ>(d32, k, c / (R * R), acc, row, a10, a11, a12, a13);
    }
  }
  StoreParts<kQ>(d32, p0, p1, p2, p3, state);
  StoreParts<kQ>(d32, a00, a01, a02, a03, a0p);
  if (k >= 2) {
    StoreParts<kQ>(d32, a10, a11, a12, a13, a1p);
    StoreParts<kQ>(d32, r10, r11, r12, r13, r1p);
  }
  StoreParts<kQ>(d32, r00, r01, r02, r03, r0p);
}

// Stores the running words into one prefix slot (A, then H for kQ = 4).
template <int kQ, class D16>
HWY_INLINE void StoreNarrow(D16 d16, uint8_t* HWY_RESTRICT slot, hn::Vec<D16> A,
                            hn::Vec<D16> H) {
  uint16_t* s = reinterpret_cast<uint16_t*>(slot);
  hn::Store(A, d16, s);
  if constexpr (kQ == 4) hn::Store(H, d16, s + hn::Lanes(d16));
}

// A column's T tokens as 16-bit words: kQ = 4 reads 2 L16 bytes as L16
// words (token pairs), kQ = 2 zero-extends L16 bytes.
template <int kQ, class D16>
HWY_INLINE hn::Vec<D16> LoadWords(D16 d16, const uint8_t* HWY_RESTRICT p) {
  if constexpr (kQ == 4) {
    return hn::BitCast(d16, hn::LoadU(hn::Repartition<uint8_t, D16>(), p));
  } else {
    return hn::PromoteTo(d16, hn::LoadU(hn::Rebind<uint8_t, D16>(), p));
  }
}

// Phase 1, 16-bit lanes: groups [g0, g1) into slots 1.. of pbuf (slot 0 =
// the prefix at g0). The four columns of a group are summed as a tree, so
// the running sums' chains have one add per group.
template <int kQ, class D16, class Idx>
HWY_INLINE void PrefixNarrow(D16 d16, const Idx* HWY_RESTRICT perm, size_t g0,
                             size_t g1, const uint8_t* HWY_RESTRICT xt,
                             uint8_t* HWY_RESTRICT pbuf, size_t slot_bytes,
                             hn::Vec<D16>& A, hn::Vec<D16>& H) {
  const size_t T = kQ / 2 * hn::Lanes(d16);  // tokens per tile
  StoreNarrow<kQ>(d16, pbuf, A, H);
  const Idx* HWY_RESTRICT q = perm + g0 * kGroup;
  uint8_t* slot = pbuf + slot_bytes;
  for (size_t g = g0; g < g1; ++g, q += kGroup, slot += slot_bytes) {
    const auto x0 = LoadWords<kQ>(d16, xt + size_t{q[0]} * T);
    const auto x1 = LoadWords<kQ>(d16, xt + size_t{q[1]} * T);
    const auto x2 = LoadWords<kQ>(d16, xt + size_t{q[2]} * T);
    const auto x3 = LoadWords<kQ>(d16, xt + size_t{q[3]} * T);
    A = hn::Add(A, hn::Add(hn::Add(x0, x1), hn::Add(x2, x3)));
    if constexpr (kQ == 4)
      H = hn::Add(
          H, hn::Add(hn::Add(hn::ShiftRight<8>(x0), hn::ShiftRight<8>(x1)),
                     hn::Add(hn::ShiftRight<8>(x2), hn::ShiftRight<8>(x3))));
    StoreNarrow<kQ>(d16, slot, A, H);
  }
}

// Phase 1, int32 lanes (blocks with a bucket longer than kMaxNarrowSegment):
// kQ parts of L32 tokens. The running sums live in `run` between chunks.
template <int kQ, class D16, class Idx>
HWY_INLINE void PrefixWide(D16 d16, const Idx* HWY_RESTRICT perm, size_t g0,
                           size_t g1, const uint8_t* HWY_RESTRICT xt,
                           uint8_t* HWY_RESTRICT pbuf, size_t slot_bytes,
                           int32_t* HWY_RESTRICT run) {
  const hn::Repartition<int32_t, D16> d32;
  const hn::Rebind<uint8_t, decltype(d32)> dq;
  const size_t L = hn::Lanes(d32);
  const size_t T = kQ * L;
  const size_t stride = slot_bytes / sizeof(int32_t);
  auto P0 = hn::Zero(d32), P1 = P0, P2 = P0, P3 = P0;
  LoadParts<kQ>(d32, run, P0, P1, P2, P3);
  int32_t* s = reinterpret_cast<int32_t*>(pbuf);
  StoreParts<kQ>(d32, P0, P1, P2, P3, s);
  const Idx* HWY_RESTRICT q = perm + g0 * kGroup;
  for (size_t g = g0; g < g1; ++g) {
    for (size_t i = 0; i < kGroup; ++i, ++q) {
      const uint8_t* col = xt + size_t{*q} * T;
      P0 = hn::Add(P0, hn::PromoteTo(d32, hn::LoadU(dq, col)));
      P1 = hn::Add(P1, hn::PromoteTo(d32, hn::LoadU(dq, col + L)));
      if constexpr (kQ == 4) {
        P2 = hn::Add(P2, hn::PromoteTo(d32, hn::LoadU(dq, col + 2 * L)));
        P3 = hn::Add(P3, hn::PromoteTo(d32, hn::LoadU(dq, col + 3 * L)));
      }
    }
    s += stride;
    StoreParts<kQ>(d32, P0, P1, P2, P3, s);
  }
  StoreParts<kQ>(d32, P0, P1, P2, P3, run);
  (void)d16;
}

// One block, one tile: the rows' biased int32 sums into `state`
// (StateInts); pbuf: kChunkGroups + 1 slots; run: kQ vectors (wide only).
template <int kQ, size_t R, bool kWide, class D16, class Idx>
void BlockTile(D16 d16, int k, size_t buckets, const Idx* HWY_RESTRICT perm,
               const Idx* HWY_RESTRICT group, const uint8_t* HWY_RESTRICT xt,
               uint8_t* HWY_RESTRICT pbuf, int32_t* HWY_RESTRICT state,
               int32_t* HWY_RESTRICT run) {
  const size_t L32 = hn::Lanes(d16) / 2;
  const size_t vec_bytes = hn::Lanes(d16) * 2;
  // Vectors in a slot: narrow A (and H), wide kQ parts.
  const size_t slot_bytes = (kWide ? kQ : kQ / 2) * vec_bytes;
  std::fill(state, state + StateInts(k, kQ, L32), 0);
  if constexpr (kWide) std::fill(run, run + kQ * L32, 0);
  auto A = hn::Zero(d16), H = A;
  const size_t groups = group[buckets];
  size_t c = 0;
  size_t g0 = 0;
  do {
    const size_t g1 = std::min(groups, g0 + kChunkGroups);
    if constexpr (kWide) {
      PrefixWide<kQ>(d16, perm, g0, g1, xt, pbuf, slot_bytes, run);
    } else {
      PrefixNarrow<kQ>(d16, perm, g0, g1, xt, pbuf, slot_bytes, A, H);
    }
    size_t c1 = c;
    while (c1 < buckets && size_t{group[c1 + 1]} <= g1) ++c1;
    FoldBuckets<R, kQ, kWide>(d16, k, group, c, c1, g0, pbuf, slot_bytes,
                              state);
    c = c1;
    g0 = g1;
  } while (g0 < groups);
}

// Token (within its tile) of lane j of part i: narrow kQ j + i (words hold
// interleaved tokens), wide i L32 + j.
inline size_t PartToken(bool wide, size_t q, size_t L32, size_t i, size_t j) {
  return wide ? i * L32 + j : q * j + i;
}

// All tokens: x is token-major (tokens x K) int8; tiles of T = kQ L32
// tokens.
template <int kQ, class D16>
void GemmI8Padded(D16 d16, const PaddedIndex& px, const int8_t* HWY_RESTRICT x,
                  size_t tokens, int threads, const float* act_scale,
                  float w_scale, float* HWY_RESTRICT y) {
  const hn::Repartition<int32_t, D16> d32;
  const hn::Repartition<float, D16> df;
  const size_t K = px.cols, M = px.rows;
  const size_t L32 = hn::Lanes(d32);
  const size_t T = kQ * L32;  // tokens per tile
  const size_t tiles = (tokens + T - 1) / T;
  const size_t tile_bytes = (K + 1) * T;
  // Transposed, biased activations; column K of each tile stays zero.
  AlignedBuffer<uint8_t> xt(tiles * tile_bytes);
  constexpr size_t kColChunk = 256;
  const size_t col_chunks = (K + kColChunk - 1) / kColChunk;
  ParallelFor(tiles * col_chunks, threads, [&](size_t job) {
    const size_t tile = job / col_chunks;
    const size_t j0 = (job % col_chunks) * kColChunk;
    const size_t j1 = std::min(K, j0 + kColChunk);
    uint8_t* dst = xt.data() + tile * tile_bytes;
    for (size_t lane = 0; lane < T; ++lane) {
      const size_t tok = tile * T + lane;
      if (tok >= tokens) break;
      const int8_t* src = x + tok * K;
      for (size_t j = j0; j < j1; ++j)
        dst[j * T + lane] = static_cast<uint8_t>(src[j] ^ 0x80);
    }
  });
  // Position of each token of a tile in the part lane order (i L32 + j), per
  // path, and the per-position scales (1 past the last token).
  std::vector<uint32_t> pos(2 * T);
  for (int wide = 0; wide < 2; ++wide)
    for (size_t p = 0; p < T; ++p)
      pos[wide * T + PartToken(wide, kQ, L32, p / L32, p % L32)] =
          static_cast<uint32_t>(p);
  AlignedBuffer<float> scales(2 * tiles * T);
  for (size_t tile = 0; tile < tiles; ++tile)
    for (int wide = 0; wide < 2; ++wide)
      for (size_t tl = 0; tl < T; ++tl) {
        const size_t tok = tile * T + tl;
        scales[(wide * tiles + tile) * T + pos[wide * T + tl]] =
            tok < tokens ? act_scale[tok] : 1.0f;
      }
  const int k = px.k;
  const size_t radix = px.form == rsr_index::CodeForm::kBase3 ? 3 : 2;
  const size_t align = (16 + k - 1) / k;
  // Rows are staged per batch of blocks (>= 128 rows) and written out per
  // token as contiguous runs: a direct y[tok * M + r] per lane touched one
  // cache line per token and row (30% of the time at N = 128).
  const size_t batch_blocks = (128 + k - 1) / k;
  const size_t batch_rows = batch_blocks * k;
  ParallelChunks(px.blocks, threads, align, [&](size_t b0, size_t b1) {
    AlignedBuffer<uint8_t> pbuf((kChunkGroups + 1) * kQ * L32 * 4);
    AlignedBuffer<int32_t> state(StateInts(k, kQ, L32));
    AlignedBuffer<int32_t> run(kQ * L32);
    AlignedBuffer<float> ybuf(batch_rows * T);
    std::vector<uint8_t> row_wide(batch_rows);
    const auto vw = hn::Set(df, w_scale);
    const int32_t* rows =
        state.data() + (1 + static_cast<size_t>(k)) * kQ * L32;
    // Tiles outside, blocks inside: one tile (K T bytes) stays in L2 while
    // the index streams. Two-vector tiles (128 tokens on AVX-512) were no
    // faster at K = 2560 and lost at K = 6912 and 8640, where the tile
    // outgrows L2 (docs/design-notes.md).
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
                BlockTile<kQ, 3, true>(d16, k, px.buckets, perm, group, xtile,
                                       pbuf.data(), state.data(), run.data());
              else
                BlockTile<kQ, 3, false>(d16, k, px.buckets, perm, group, xtile,
                                        pbuf.data(), state.data(), run.data());
            } else {
              if (wide)
                BlockTile<kQ, 2, true>(d16, k, px.buckets, perm, group, xtile,
                                       pbuf.data(), state.data(), run.data());
              else
                BlockTile<kQ, 2, false>(d16, k, px.buckets, perm, group, xtile,
                                        pbuf.data(), state.data(), run.data());
            }
          };
          if (px.wide)
            run_block(uint32_t{0});
          else
            run_block(uint16_t{0});
          // Rows: D = biased sum - 128 row_sum, dequantized per lane exactly
          // as DequantizeDot (convert, divide, multiply).
          const float* sc = scales.data() + ((wide ? tiles : 0) + tile) * T;
          for (int t = 0; t < k; ++t) {
            const size_t r = b * k + t;
            if (r >= M) break;
            const size_t rl = r - bb * k;
            row_wide[rl] = wide;
            const auto bias = hn::Set(d32, -128 * px.row_sum[r]);
            const int32_t* row = rows + static_cast<size_t>(t) * kQ * L32;
            for (size_t p = 0; p < T; p += L32) {
              const auto dot = hn::Add(hn::Load(d32, row + p), bias);
              hn::Store(
                  hn::Mul(hn::Div(hn::ConvertTo(df, dot), hn::Load(df, sc + p)),
                          vw),
                  df, ybuf.data() + rl * T + p);
            }
          }
        }
        const size_t r0 = bb * k, r1 = std::min(M, be * k);
        const size_t lanes = std::min(T, tokens - tile * T);
        for (size_t tl = 0; tl < lanes; ++tl) {
          float* dst = y + (tile * T + tl) * M + r0;
          const uint32_t pn = pos[tl], pw = pos[T + tl];
          for (size_t rl = 0; rl < r1 - r0; ++rl)
            dst[rl] = ybuf[rl * T + (row_wide[rl] ? pw : pn)];
        }
      }
    }
  });
}

// Tile shape from the token count (L16 = 16-bit lanes of a full vector):
// up to L16 tokens zero-extended in one vector (capped at 8 and 16 tokens for
// small N), beyond that tiles of 2 L16 tokens as A/H words.
inline void GemmI8Dispatch(const PaddedIndex& px, const int8_t* x,
                           size_t tokens, int threads, const float* act_scale,
                           float w_scale, float* y) {
  const hn::ScalableTag<uint16_t> d16;
  const size_t L16 = hn::Lanes(d16);
  if (tokens <= 8 && L16 > 8) {
    GemmI8Padded<2>(hn::CappedTag<uint16_t, 8>(), px, x, tokens, threads,
                    act_scale, w_scale, y);
  } else if (tokens <= 16 && L16 > 16) {
    GemmI8Padded<2>(hn::CappedTag<uint16_t, 16>(), px, x, tokens, threads,
                    act_scale, w_scale, y);
  } else if (tokens <= L16) {
    GemmI8Padded<2>(d16, px, x, tokens, threads, act_scale, w_scale, y);
  } else {
    GemmI8Padded<4>(d16, px, x, tokens, threads, act_scale, w_scale, y);
  }
}

}  // namespace gemm_i8

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
