// i2s: the per-target SIMD body (compiled once per Highway target by i2s.cc
// through foreach_target.h): I2_S (2 bits/weight) x int8 activations, exact
// int32. Format: i2s_format.h; driver and kernel class: i2s.cc.
//
// Kernel shape. A row's packed bytes are read in vectors of C = Lanes(u8)
// bytes ("chunks"). One chunk yields 4 code vectors by shift+AND (bits 7:6,
// 5:4, 3:2, 1:0), so each weight byte meets 4 activations. The activations
// are re-laid once per call (ReorderActivations, K bytes per token) so that
// the 4 activation vectors of chunk c sit contiguously at xs + 4*C*c: the
// inner loop then does plain vector loads whatever C is (16 .. 256 bytes),
// and K needs no special case: the scratch is zero past K, and lanes past a
// row's end (weights of the next row, or kReadSlack) multiply zeros.
//
// u8 x s8 products: vpdpbusd (AVX3_DL/VNNI, int32, no saturation), sdot
// (NEON with dotprod, SVE), pmaddubsw (AVX3, AVX2, SSE4) into int16 widened to
// int32 every kFlushChunks chunks, or a portable Highway emulation of
// pmaddubsw. The sum is raw = sum (w+1) q; D = raw - sum_q.
//
// Tiles. GEMV: 4 rows per step share the activation loads and give 4+
// independent accumulator chains. GEMM: each unpacked chunk is applied to a
// tile of tokens (unpack once per tile, not once per token), and on VNNI
// each activation vector to a tile of rows (load once per tile); the tile's
// rows stay in L1 while the token tiles stream from L2.

#if defined(RSR_BASELINES_I2S_I2S_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_BASELINES_I2S_I2S_INL_H_
#undef RSR_BASELINES_I2S_I2S_INL_H_
#else
#define RSR_BASELINES_I2S_I2S_INL_H_
#endif

#include <algorithm>
#include <cstring>

#include "baselines/i2s/i2s_format.h"
#include "baselines/rowpack/rowpack-inl.h"
#include "hwy/highway.h"
#include "kernels/core/prefetch.h"
#include "rsr/quant.h"

// Functions on the vpdpbusd path carry RSR_VNNI_ATTR (rowpack-inl.h).
#undef RSR_I2S_ATTR
#define RSR_I2S_ATTR RSR_VNNI_ATTR

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace i2s {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Bytes of packed weights per vector load (the activation layout unit).
size_t ChunkBytes() { return hn::Lanes(hn::ScalableTag<uint8_t>()); }

#if HWY_TARGET == HWY_SCALAR

// C = 1: chunk c is weight byte c; its 4 activations are xs[4c .. 4c+3].
void GemmRows(const uint8_t* HWY_RESTRICT w, const rowpack::Layout& L,
              const int8_t* HWY_RESTRICT xs, size_t xstride, size_t tokens,
              const int32_t* sums, const float* act_scales, float w_scale,
              float* HWY_RESTRICT y, size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    for (size_t t = 0; t < tokens; ++t) {
      int32_t raw = 0;
      for (size_t s = 0; s < L.Segments(); ++s) {
        const uint8_t* seg = w + L.Offset(r, s);
        const int8_t* x = xs + t * xstride + 4 * s * rowpack::kSegmentBytes;
        for (size_t b = 0; b < L.SegmentBytes(s); ++b) {
          for (int g = 0; g < 4; ++g)
            raw += ((seg[b] >> (6 - 2 * g)) & 3) * x[4 * b + g];
        }
      }
      y[t * L.rows + r] = DequantizeDot(raw - sums[t], act_scales[t], w_scale);
    }
  }
}

#else  // !HWY_SCALAR

// u8 codes (<= 3) times s8 activations, adjacent pairs summed into int16
// (pmaddubsw semantics; exact: |pair| <= 2 * 3 * 128 = 768).
template <class DU8, class VU8 = hn::Vec<DU8>,
          class VI8 = hn::Vec<hn::Repartition<int8_t, DU8> > >
HWY_INLINE hn::Vec<hn::Repartition<int16_t, DU8> > MulPairs(DU8 /*du8*/, VU8 c,
                                                            VI8 x) {
  const hn::Repartition<int16_t, DU8> d16;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  return hn::Vec<decltype(d16)>{_mm512_maddubs_epi16(c.raw, x.raw)};
#elif HWY_TARGET == HWY_AVX2
  return hn::Vec<decltype(d16)>{_mm256_maddubs_epi16(c.raw, x.raw)};
#elif HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3
  return hn::Vec<decltype(d16)>{_mm_maddubs_epi16(c.raw, x.raw)};
#else
  const auto c16 = hn::BitCast(d16, c);
  const auto x16 = hn::BitCast(d16, x);
  const auto c_even = hn::And(c16, hn::Set(d16, 0xFF));
  const auto c_odd = hn::ShiftRight<8>(c16);  // codes < 128: no sign bits
  const auto x_even = hn::ShiftRight<8>(hn::ShiftLeft<8>(x16));
  const auto x_odd = hn::ShiftRight<8>(x16);
  return hn::Add(hn::Mul(c_even, x_even), hn::Mul(c_odd, x_odd));
#endif
}

#if !HWY_HAVE_SCALABLE

using DU8 = hn::ScalableTag<uint8_t>;
using DI8 = hn::ScalableTag<int8_t>;
using DU16 = hn::ScalableTag<uint16_t>;
using DI16 = hn::ScalableTag<int16_t>;
using DI32 = hn::ScalableTag<int32_t>;
using VU8 = hn::Vec<DU8>;

// The 4 code vectors of one chunk (shift groups g = 0..3, see i2s_format.h).
struct Codes {
  VU8 q0, q1, q2, q3;
};

// Codes by shift+AND: q_g = (v >> (6 - 2g)) & 3 (16-bit shifts; the mask
// drops the bits shifted in from the neighbouring byte).
HWY_INLINE Codes UnpackShifted(VU8 v) {
  const DU8 du8;
  const DU16 du16;
  const VU8 mask = hn::Set(du8, 3);
  const auto v16 = hn::BitCast(du16, v);
  return {hn::And(hn::BitCast(du8, hn::ShiftRight<6>(v16)), mask),
          hn::And(hn::BitCast(du8, hn::ShiftRight<4>(v16)), mask),
          hn::And(hn::BitCast(du8, hn::ShiftRight<2>(v16)), mask),
          hn::And(v, mask)};
}

#if HWY_TARGET == HWY_AVX3_DL
// vpdpbusd: 4-way u8 x s8 dot into int32, no saturation. The GEMV tile
// (GemvDots4) keeps the codes in place (q_g = v & (0xC0 >> 2g) = 4^(3-g) *
// code), which saves 3 shifts per chunk, with one accumulator per code group
// scaled back by an exact arithmetic shift at the end. Range: a lane of group
// 0 gains 4 products <= 64 * 2 * 128 per chunk of 256 codes, so |lane| <=
// 256 K < 2^29 for K <= 2^20.

// Four rows' sums (one int32 vector each) by a transposing reduction
// (interleave-and-add within 128-bit blocks, then the 4 blocks): 11 vector
// ops for the 4 rows instead of 4 separate horizontal sums.
HWY_INLINE void SumRows4(hn::Vec<DI32> ra, hn::Vec<DI32> rb, hn::Vec<DI32> rc,
                         hn::Vec<DI32> rd, int32_t (*raw)[1]) {
  const DI32 d32;
  const hn::Repartition<int64_t, DI32> d64;
  // ab = (a0+a2, b0+b2, a1+a3, b1+b3) per block; cd likewise.
  const auto ab = hn::Add(hn::InterleaveLower(d32, ra, rb),
                          hn::InterleaveUpper(d32, ra, rb));
  const auto cd = hn::Add(hn::InterleaveLower(d32, rc, rd),
                          hn::InterleaveUpper(d32, rc, rd));
  // (a, b, c, d) partial sums per block.
  const auto abcd = hn::Add(
      hn::BitCast(d32, hn::InterleaveLower(d64, hn::BitCast(d64, ab),
                                           hn::BitCast(d64, cd))),
      hn::BitCast(d32, hn::InterleaveUpper(d64, hn::BitCast(d64, ab),
                                           hn::BitCast(d64, cd))));
  const auto half =
      hn::Add(hn::LowerHalf(abcd), hn::UpperHalf(hn::Half<DI32>(), abcd));
  const auto quarter = hn::Add(
      hn::LowerHalf(half), hn::UpperHalf(hn::Half<hn::Half<DI32> >(), half));
  alignas(16) int32_t out[4];
  hn::Store(quarter, hn::Half<hn::Half<DI32> >(), out);
  for (size_t i = 0; i < 4; ++i) raw[i][0] = out[i];
}
#elif HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
// sdot: 4-way s8 x s8 dot into int32 (codes <= 3 are valid s8), no
// saturation. Two accumulators halve the dependency chain.
struct Engine {
  static constexpr size_t kFlushChunks = size_t{1} << 40;
  struct Acc {
    // User-provided (not implicit) so that it carries the target attribute.
    HWY_INLINE Acc() : a(hn::Zero(DI32())), b(hn::Zero(DI32())) {}
    hn::Vec<DI32> a, b;
  };
  static HWY_INLINE Codes Unpack(VU8 v) { return UnpackShifted(v); }
  static HWY_INLINE hn::Vec<DI32> Dot(hn::Vec<DI32> acc, VU8 c,
                                      const int8_t* x) {
    const auto xv = hn::LoadU(DI8(), x);
    return hn::Vec<DI32>(
        vdotq_s32(acc.raw, vreinterpretq_s8_u8(c.raw), xv.raw));
  }
  static HWY_INLINE void Mac(Acc& acc, const Codes& c, const int8_t* x,
                             size_t C) {
    acc.a = Dot(acc.a, c.q0, x);
    acc.b = Dot(acc.b, c.q1, x + C);
    acc.a = Dot(acc.a, c.q2, x + 2 * C);
    acc.b = Dot(acc.b, c.q3, x + 3 * C);
  }
  static HWY_INLINE void Flush(Acc&) {}
  static HWY_INLINE int32_t Reduce(const Acc& acc) {
    const DI32 d32;
    return hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc.a, acc.b)));
  }
};
#else
// Pair sums in int16, widened to int32 every kFlushChunks chunks. One chunk
// adds 4 pair sums, i.e. 8 products |c q| <= 2 * 128 to each int16 lane
// (codes past a row's end may be 3 but meet q = 0): |sum| <= 2048 per chunk,
// <= 16384 after 8 chunks, inside int16 for every input. (bitnet.cpp widens
// after 32 blocks and can overflow.)
struct Engine {
  static constexpr size_t kFlushChunks = 8;
  struct Acc {
    // User-provided (not implicit) so that it carries the target attribute.
    HWY_INLINE Acc()
        : s16(hn::Zero(DI16())),
          s32a(hn::Zero(DI32())),
          s32b(hn::Zero(DI32())) {}
    hn::Vec<DI16> s16;
    hn::Vec<DI32> s32a, s32b;
  };
  static HWY_INLINE Codes Unpack(VU8 v) { return UnpackShifted(v); }
  static HWY_INLINE void Mac(Acc& acc, const Codes& c, const int8_t* x,
                             size_t C) {
    const DU8 du8;
    const DI8 di8;
    const auto p01 = hn::Add(MulPairs(du8, c.q0, hn::LoadU(di8, x)),
                             MulPairs(du8, c.q1, hn::LoadU(di8, x + C)));
    const auto p23 = hn::Add(MulPairs(du8, c.q2, hn::LoadU(di8, x + 2 * C)),
                             MulPairs(du8, c.q3, hn::LoadU(di8, x + 3 * C)));
    acc.s16 = hn::Add(acc.s16, hn::Add(p01, p23));
  }
  static HWY_INLINE void Flush(Acc& acc) {
    const DI32 d32;
    acc.s32a = hn::ReorderWidenMulAccumulate(d32, acc.s16, hn::Set(DI16(), 1),
                                             acc.s32a, acc.s32b);
    acc.s16 = hn::Zero(DI16());
  }
  static HWY_INLINE int32_t Reduce(const Acc& acc) {
    const DI32 d32;
    return hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc.s32a, acc.s32b)));
  }
};
#endif

// Software prefetch: while a tile of R rows is computed, the next tile's
// weights -- one contiguous block of R row segments, consecutive in memory
// (rowpack.h, Layout) -- are requested as one sequential stream into L1 (T0
// hint), R C bytes per chunk step, so the block is complete when its tile
// starts. The hardware prefetchers stop at 4 KiB pages and fetch too little
// here on their own (every other line only: 16384^2 1.8x slower). The T1
// hint (into L2) per row stream, kept before, cost 3-4 cycles per 1000
// weights from cache; this is faster from cache than no prefetch at all (it
// fills L1) and decodes a model's projections 10% faster. The segments keep
// this stream and one segment's activations inside L1 at any K (rowpack.h).
// AMD EPYC family 26 model 2, measurements: docs/design-notes.md (i2s).
// Requests past the matrix end (the last tile) are harmless: a prefetch
// never faults.
HWY_INLINE void PrefetchNextTile(const uint8_t* block, size_t off, size_t n) {
  for (size_t b = (off + 63) & ~size_t{63}; b < off + n; b += 64)
    PrefetchL1(block + b);
}

// The VNNI GEMV streams from kGemvExtraAhead past the next tile's start (the
// weights are in memory in the order the tiles read them, rowpack.h Layout),
// so 12 KiB ahead for rows of 2 KiB segments. AMD EPYC family 26 model 2,
// fraction of the paired DRAM probe, 16384^2, 2 threads: the next tile (8
// KiB ahead) 0.81, 0.81; 12 KiB 0.91, 0.97; 16 KiB 1.00, 0.93. 32768^2, 1
// thread: all 0.88-0.95. From cache, cycles per 1000 weights at 2560^2 /
// 4096^2: next tile 14.0-14.5 / 12.6-12.8, +4 KiB 14.2-14.3 / 13.1, a fixed
// 12 KiB 15.0-15.4 / 13.3-13.5.
constexpr size_t kGemvExtraAhead = 4096;

#if HWY_TARGET == HWY_AVX3_DL
// Code group G of a chunk moved to bits 1:0 (16-bit shift, the AND drops the
// bits shifted in from the neighbouring byte).
template <int G>
HWY_INLINE VU8 CodeGroup(VU8 v) {
  const DU8 du8;
  const VU8 mask = hn::Set(du8, 3);
  if constexpr (G == 3) {
    return hn::And(v, mask);
  } else {
    return hn::And(
        hn::BitCast(du8, hn::ShiftRight<6 - 2 * G>(hn::BitCast(DU16(), v))),
        mask);
  }
}

// One code group of one chunk applied to the R x T tile: each activation
// vector is loaded once and meets the R rows' codes (the register tile).
template <int G, size_t R, size_t T>
RSR_I2S_ATTR HWY_INLINE void GroupDots(const VU8 (&v)[R],
                                       const int8_t* const* toks, size_t off,
                                       hn::Vec<DI32> (&acc)[R][T]) {
  VU8 q[R];
  for (size_t i = 0; i < R; ++i) q[i] = CodeGroup<G>(v[i]);
  for (size_t j = 0; j < T; ++j) {
    const auto x = hn::LoadU(DI8(), toks[j] + off);
    for (size_t i = 0; i < R; ++i)
      acc[i][j] = hn::Vec<DI32>{
          _mm512_dpbusd_epi32(acc[i][j].raw, q[i].raw, x.raw)};
  }
}

// GEMM register tile for VNNI: R x T int32 accumulators, one per (row,
// token), codes shifted to bits 1:0 once per chunk and row (7 ops, shared by
// the T tokens), each activation vector loaded once per tile (shared by the
// R rows): per 64-byte chunk R + 4T loads feed 4RT vpdpbusd, so at R = T = 4
// the loop is bound by the dot ports, not by loads (GemvDots4's per-group
// accumulators would need 4 registers per (row, token)). Range: a lane gains 16 products <= 3 * 128
// per chunk, |lane| <= 24 K < 2^31 for K <= 2^26.
template <size_t R, size_t T>
RSR_I2S_ATTR HWY_INLINE void TileDotsShared(const uint8_t* const* rows,
                                            const uint8_t* const* next,
                                            const int8_t* const* toks,
                                            size_t nchunks, int32_t raw[R][T]) {
  const DU8 du8;
  const DI32 d32;
  const size_t C = hn::Lanes(du8);
  hn::Vec<DI32> acc[R][T];
  for (size_t i = 0; i < R; ++i)
    for (size_t j = 0; j < T; ++j) acc[i][j] = hn::Zero(d32);
  for (size_t c = 0; c < nchunks; ++c) {
    VU8 v[R];
    for (size_t i = 0; i < R; ++i) {
      PrefetchL2(next[i] + c * C);
      v[i] = hn::LoadU(du8, rows[i] + c * C);
    }
    const size_t off = c * 4 * C;
    GroupDots<0>(v, toks, off, acc);
    GroupDots<1>(v, toks, off + C, acc);
    GroupDots<2>(v, toks, off + 2 * C, acc);
    GroupDots<3>(v, toks, off + 3 * C, acc);
  }
  for (size_t i = 0; i < R; ++i)
    for (size_t j = 0; j < T; ++j)
      raw[i][j] = hn::GetLane(hn::SumOfLanes(d32, acc[i][j]));
}
#endif

#if HWY_TARGET == HWY_AVX3_DL
// One code group (mask m) of one chunk for the 4 rows' codes v0..v3.
RSR_I2S_ATTR HWY_INLINE void GroupDots4(__m512i v0, __m512i v1, __m512i v2,
                                        __m512i v3, __m512i m, __m512i x,
                                        __m512i& a0, __m512i& a1, __m512i& a2,
                                        __m512i& a3) {
  a0 = _mm512_dpbusd_epi32(a0, _mm512_and_si512(v0, m), x);
  a1 = _mm512_dpbusd_epi32(a1, _mm512_and_si512(v1, m), x);
  a2 = _mm512_dpbusd_epi32(a2, _mm512_and_si512(v2, m), x);
  a3 = _mm512_dpbusd_epi32(a3, _mm512_and_si512(v3, m), x);
}

// A row's sum from its 4 code-group accumulators g[0..3]: group g was scaled
// by 4^(3-g) (codes in place), undone by exact arithmetic shifts.
HWY_INLINE hn::Vec<DI32> RowSum(const __m512i* g) {
  return hn::Vec<DI32>{_mm512_add_epi32(
      _mm512_add_epi32(_mm512_srai_epi32(g[0], 6), _mm512_srai_epi32(g[1], 4)),
      _mm512_add_epi32(_mm512_srai_epi32(g[2], 2), g[3]))};
}

// GEMV tile for VNNI: 4 rows x 1 token, codes in place, one accumulator per
// (row, code group), each activation vector loaded once for the 4 rows.
// Written with named variables and not inlined: with accumulator arrays in
// the tiling loop g++ 12 kept loop-carried register copies and stack slots
// (17 -> 14 cycles per 1000 weights at 4096^2 without prefetch).
RSR_I2S_ATTR HWY_NOINLINE void GemvLoop4(const uint8_t* const* rows,
                                         const uint8_t* next,
                                         const int8_t* x, size_t nchunks,
                                         __m512i* HWY_RESTRICT acc) {
  constexpr size_t C = 64;
  const __m512i m0 = _mm512_set1_epi8(static_cast<char>(0xC0));
  const __m512i m1 = _mm512_set1_epi8(0x30);
  const __m512i m2 = _mm512_set1_epi8(0x0C);
  const __m512i m3 = _mm512_set1_epi8(0x03);
  const uint8_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
  // a<g><i>: code group g of row i.
  __m512i a00 = _mm512_setzero_si512(), a01 = a00, a02 = a00, a03 = a00;
  __m512i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  __m512i a20 = a00, a21 = a00, a22 = a00, a23 = a00;
  __m512i a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  for (size_t c = 0; c < nchunks; ++c) {
    const size_t o = c * C;
    PrefetchNextTile(next, 4 * o, 4 * C);
    const __m512i v0 = _mm512_loadu_si512(r0 + o);
    const __m512i v1 = _mm512_loadu_si512(r1 + o);
    const __m512i v2 = _mm512_loadu_si512(r2 + o);
    const __m512i v3 = _mm512_loadu_si512(r3 + o);
    const int8_t* xc = x + 4 * o;
    GroupDots4(v0, v1, v2, v3, m0, _mm512_loadu_si512(xc), a00, a01, a02, a03);
    GroupDots4(v0, v1, v2, v3, m1, _mm512_loadu_si512(xc + C), a10, a11, a12,
               a13);
    GroupDots4(v0, v1, v2, v3, m2, _mm512_loadu_si512(xc + 2 * C), a20, a21,
               a22, a23);
    GroupDots4(v0, v1, v2, v3, m3, _mm512_loadu_si512(xc + 3 * C), a30, a31,
               a32, a33);
  }
  // acc[4 i + g]: row i, code group g. Any arithmetic on the accumulators
  // after the loop, in this function, brought g++ 12's loop-carried copies
  // back; the caller reduces them.
  acc[0] = a00, acc[1] = a10, acc[2] = a20, acc[3] = a30;
  acc[4] = a01, acc[5] = a11, acc[6] = a21, acc[7] = a31;
  acc[8] = a02, acc[9] = a12, acc[10] = a22, acc[11] = a32;
  acc[12] = a03, acc[13] = a13, acc[14] = a23, acc[15] = a33;
}
#endif

// raw[i][j] = sum over the row of codes(rows[i]) * toks[j] (scratch layout);
// the next tile (next[0] onwards) is prefetched meanwhile.
template <size_t R, size_t T>
RSR_I2S_ATTR HWY_INLINE void TileDots(const uint8_t* const* rows,
                                      const uint8_t* const* next,
                                      const int8_t* const* toks, size_t nchunks,
                                      int32_t raw[R][T]) {
#if HWY_TARGET == HWY_AVX3_DL
  if constexpr (T > 1) {
    TileDotsShared<R, T>(rows, next, toks, nchunks, raw);
  } else {
    static_assert(R == 4, "the VNNI GEMV tile has 4 rows");
    alignas(64) __m512i acc[16];
    GemvLoop4(rows, next[0] + kGemvExtraAhead, toks[0], nchunks, acc);
    SumRows4(RowSum(acc), RowSum(acc + 4), RowSum(acc + 8), RowSum(acc + 12),
             raw);
  }
#else
  const DU8 du8;
  const size_t C = hn::Lanes(du8);
  typename Engine::Acc acc[R][T];  // zeroed
  for (size_t c0 = 0; c0 < nchunks; c0 += Engine::kFlushChunks) {
    const size_t c1 = std::min(nchunks, c0 + Engine::kFlushChunks);
    for (size_t c = c0; c < c1; ++c) {
      PrefetchNextTile(next[0], R * c * C, R * C);
      for (size_t i = 0; i < R; ++i) {
        const Codes codes = Engine::Unpack(hn::LoadU(du8, rows[i] + c * C));
        for (size_t j = 0; j < T; ++j)
          Engine::Mac(acc[i][j], codes, toks[j] + c * 4 * C, C);
      }
    }
    for (size_t i = 0; i < R; ++i)
      for (size_t j = 0; j < T; ++j) Engine::Flush(acc[i][j]);
  }
  for (size_t i = 0; i < R; ++i)
    for (size_t j = 0; j < T; ++j) raw[i][j] = Engine::Reduce(acc[i][j]);
#endif
}

// The tile body rowpack's TiledRows calls.
struct Tile {
  static constexpr size_t kActsPerByte = 4;
  template <size_t R, size_t T>
  static RSR_I2S_ATTR HWY_INLINE void Dots(const uint8_t* const* rows,
                                           const uint8_t* const* next,
                                           const int8_t* const* toks,
                                           size_t row_bytes,
                                           int32_t raw[R][T]) {
    const size_t C = hn::Lanes(DU8());
    TileDots<R, T>(rows, next, toks, (row_bytes + C - 1) / C, raw);
  }
};

// GEMV: 4 rows x 1 token. GEMM: AVX3_DL 4 rows x 4 tokens (TileDotsShared,
// one register per accumulator; sizes measured: docs/design-notes.md); AVX3
// and NEON (32 registers, 3 per accumulator) 2 x 4; the 16-register targets
// 1 x 4.
#if HWY_TARGET == HWY_AVX3_DL
constexpr size_t kGemmRows = 4, kGemmTokens = 4;
#elif HWY_TARGET == HWY_AVX3 || HWY_ARCH_ARM
constexpr size_t kGemmRows = 2, kGemmTokens = 4;
#else
constexpr size_t kGemmRows = 1, kGemmTokens = 4;
#endif

RSR_I2S_ATTR void GemmRows(const uint8_t* HWY_RESTRICT w,
                           const rowpack::Layout& L,
                           const int8_t* HWY_RESTRICT xs, size_t xstride,
                           size_t tokens, const int32_t* sums,
                           const float* act_scales, float w_scale,
                           float* HWY_RESTRICT y, size_t r0, size_t r1) {
  rowpack::HWY_NAMESPACE::TiledRows<kGemmRows, kGemmTokens, Tile>(
      w, L, xs, xstride, tokens, sums, act_scales, w_scale, y, r0, r1);
}

RSR_I2S_ATTR void GemvRows(const uint8_t* HWY_RESTRICT w,
                           const rowpack::Layout& L,
                           const int8_t* HWY_RESTRICT xs, int32_t sum,
                           float act_scale, float w_scale,
                           float* HWY_RESTRICT y, size_t r0, size_t r1) {
  rowpack::HWY_NAMESPACE::TiledRows<4, 1, Tile>(
      w, L, xs, /*xstride=*/0, 1, &sum, &act_scale, w_scale, y, r0, r1);
}

#else  // HWY_HAVE_SCALABLE (SVE, RVV): sizeless vectors, no arrays/structs.

using VU8 = hn::Vec<hn::ScalableTag<uint8_t> >;

// Codes by shift+AND, q_g = (v >> (6 - 2g)) & 3, into named locals (sizeless
// vectors cannot sit in a struct).
template <class DU8>
HWY_INLINE void UnpackScalable(DU8 du8, VU8 v, VU8& q0, VU8& q1, VU8& q2,
                               VU8& q3) {
  const hn::Repartition<uint16_t, DU8> du16;
  const auto mask = hn::Set(du8, 3);
  const auto v16 = hn::BitCast(du16, v);
  q0 = hn::And(hn::BitCast(du8, hn::ShiftRight<6>(v16)), mask);
  q1 = hn::And(hn::BitCast(du8, hn::ShiftRight<4>(v16)), mask);
  q2 = hn::And(hn::BitCast(du8, hn::ShiftRight<2>(v16)), mask);
  q3 = hn::And(v, mask);
}

void GemmRows(const uint8_t* HWY_RESTRICT w, const rowpack::Layout& L,
              const int8_t* HWY_RESTRICT xs, size_t xstride, size_t tokens,
              const int32_t* sums, const float* act_scales, float w_scale,
              float* HWY_RESTRICT y, size_t r0, size_t r1) {
  const hn::ScalableTag<uint8_t> du8;
  const hn::ScalableTag<int8_t> di8;
  const hn::ScalableTag<int32_t> d32;
  const size_t C = hn::Lanes(du8);
  for (size_t r = r0; r < r1; ++r) {
    for (size_t t = 0; t < tokens; ++t) {
      auto acc0 = hn::Zero(d32), acc1 = hn::Zero(d32);
      for (size_t s = 0; s < L.Segments(); ++s) {
        const uint8_t* row = w + L.Offset(r, s);
        const int8_t* x = xs + t * xstride + 4 * s * rowpack::kSegmentBytes;
        const size_t nchunks = (L.SegmentBytes(s) + C - 1) / C;
#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 || \
    HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
        // sdot: 4-way int8 dot into int32 (codes <= 3 are valid as s8).
        for (size_t c = 0; c < nchunks; ++c) {
          const int8_t* xc = x + c * 4 * C;
          VU8 q0, q1, q2, q3;
          UnpackScalable(du8, hn::LoadU(du8, row + c * C), q0, q1, q2, q3);
          acc0 = svdot_s32(acc0, hn::BitCast(di8, q0), hn::LoadU(di8, xc));
          acc1 = svdot_s32(acc1, hn::BitCast(di8, q1), hn::LoadU(di8, xc + C));
          acc0 =
              svdot_s32(acc0, hn::BitCast(di8, q2), hn::LoadU(di8, xc + 2 * C));
          acc1 =
              svdot_s32(acc1, hn::BitCast(di8, q3), hn::LoadU(di8, xc + 3 * C));
        }
#else
        // Portable: int16 pair sums widened every chunk (|sum| <= 2048).
        const hn::ScalableTag<int16_t> d16;
        const auto ones = hn::Set(d16, 1);
        for (size_t c = 0; c < nchunks; ++c) {
          const int8_t* xc = x + c * 4 * C;
          VU8 q0, q1, q2, q3;
          UnpackScalable(du8, hn::LoadU(du8, row + c * C), q0, q1, q2, q3);
          const auto p =
              hn::Add(hn::Add(MulPairs(du8, q0, hn::LoadU(di8, xc)),
                              MulPairs(du8, q1, hn::LoadU(di8, xc + C))),
                      hn::Add(MulPairs(du8, q2, hn::LoadU(di8, xc + 2 * C)),
                              MulPairs(du8, q3, hn::LoadU(di8, xc + 3 * C))));
          acc0 = hn::ReorderWidenMulAccumulate(d32, p, ones, acc0, acc1);
        }
#endif
      }
      const int32_t raw = hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1)));
      y[t * L.rows + r] = DequantizeDot(raw - sums[t], act_scales[t], w_scale);
    }
  }
}

#endif  // HWY_HAVE_SCALABLE
#endif  // HWY_SCALAR

#if HWY_TARGET == HWY_SCALAR || HWY_HAVE_SCALABLE
// One token through the GEMM loop (this target has no separate GEMV tile).
void GemvRows(const uint8_t* HWY_RESTRICT w, const rowpack::Layout& L,
              const int8_t* HWY_RESTRICT xs, int32_t sum, float act_scale,
              float w_scale, float* HWY_RESTRICT y, size_t r0, size_t r1) {
  GemmRows(w, L, xs, /*xstride=*/0, 1, &sum, &act_scale, w_scale, y, r0, r1);
}
#endif

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace i2s
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
