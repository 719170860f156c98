// tq5: the per-target SIMD body (compiled once per Highway target by tq5.cc
// through foreach_target.h): TQ5 (5 trits per byte, 1.6 bits/weight) x int8
// activations, exact int32. Format: tq5_format.h; driver and kernel class:
// tq5.cc.
//
// Activations. Trit i of byte j of a block multiplies column 64 i + j of the
// block, so for a vector of C <= 64 bytes starting at byte j0 of block b the
// five digit vectors meet x[320 b + 64 i + j0, + C): the activations stay in
// their natural order. The driver only copies each token's q into a buffer
// zero-padded to whole blocks (padding codes are 1 and meet q = 0).
//
// AVX3_DL (VBMI + VNNI), per 64-byte block of a row (320 weights):
//   f  = 256-entry lookup of t0..t3 as 2-bit fields (tq5_format.h):
//        two vpermt2b over the 128-entry halves, blended on the byte's top
//        bit (vpmovb2m + vpblendmb);
//   t4 = vpermb of the byte (t4 depends on its low 6 bits only);
//   4 ANDs keep each field in place (q_i = 4^i t_i for i < 4), and 5
//   vpdpbusd multiply them with the 5 activation vectors into per-field
//   accumulators, scaled back by exact arithmetic shifts at the end (the
//   i2s trick: no shifts in the loop).
// Other targets: each row is decoded to one code byte per column (NEON: by
// tbl/tbx lookups in registers; SSE4, AVX2, AVX3, SVE: by table, scalar),
// then a portable Highway u8 x s8 dot runs over it for every token. Exact,
// but several times slower than the AVX3_DL path; docs/design-notes.md
// (tq5).

#if defined(RSR_BASELINES_TQ5_TQ5_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_BASELINES_TQ5_TQ5_INL_H_
#undef RSR_BASELINES_TQ5_TQ5_INL_H_
#else
#define RSR_BASELINES_TQ5_TQ5_INL_H_
#endif

#include <algorithm>
#include <cstring>

#include "baselines/rowpack/rowpack-inl.h"
#include "baselines/tq5/tq5_format.h"
#include "hwy/highway.h"
#include "kernels/core/prefetch.h"
#include "rsr/quant.h"

// Functions on the vpdpbusd path carry RSR_VNNI_ATTR (rowpack-inl.h).
#undef RSR_TQ5_ATTR
#define RSR_TQ5_ATTR RSR_VNNI_ATTR

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace tq5 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_AVX3_DL

using DU8 = hn::ScalableTag<uint8_t>;
using DI8 = hn::ScalableTag<int8_t>;
using DI32 = hn::ScalableTag<int32_t>;
using VU8 = hn::Vec<DU8>;
static_assert(HWY_LANES(uint8_t) == kBlockBytes, "one block per vector");

// The decode tables in registers: fields[0..255] in four vectors, trit4.
struct Decoder {
  HWY_INLINE Decoder()
      : f0(hn::LoadU(DU8(), kTables.fields.data())),
        f1(hn::LoadU(DU8(), kTables.fields.data() + 64)),
        f2(hn::LoadU(DU8(), kTables.fields.data() + 128)),
        f3(hn::LoadU(DU8(), kTables.fields.data() + 192)),
        t4(hn::LoadU(DU8(), kTables.trit4.data())) {}
  VU8 f0, f1, f2, f3, t4;
};

// The 5 code vectors of one block, fields in place: q_i = 4^i t_i (i < 4),
// q4 = t4.
struct Codes {
  VU8 q0, q1, q2, q3, q4;
};

HWY_INLINE Codes Unpack(const Decoder& d, VU8 v) {
  const DU8 du8;
  const DI8 di8;
  // Bytes >= 128 take the upper half of the 256-entry table. Measured
  // against the masked-merge form (two vpermi2b under k and ~k, no blend):
  // 1.50 vs 1.32 ns per block (docs/design-notes.md, tq5).
  const auto upper = hn::Lt(hn::BitCast(di8, v), hn::Zero(di8));
  const VU8 lo{_mm512_permutex2var_epi8(d.f0.raw, v.raw, d.f1.raw)};
  const VU8 hi{_mm512_permutex2var_epi8(d.f2.raw, v.raw, d.f3.raw)};
  const VU8 f = hn::IfThenElse(hn::RebindMask(du8, upper), hi, lo);
  return {hn::And(f, hn::Set(du8, 0x03)), hn::And(f, hn::Set(du8, 0x0C)),
          hn::And(f, hn::Set(du8, 0x30)), hn::And(f, hn::Set(du8, 0xC0)),
          VU8{_mm512_permutexvar_epi8(v.raw, d.t4.raw)}};
}

// Per-field int32 accumulators; t0 and t4 share a0 (both scale 1). Range: a
// lane of a3 gains 4 products <= 128 * 128 per block, so |lane| <= 2^16
// ceil(K / 320) < 2^28 for K <= 2^20.
struct Acc {
  // User-provided (not implicit) so that it carries the target attribute.
  HWY_INLINE Acc()
      : a0(hn::Zero(DI32())),
        a1(hn::Zero(DI32())),
        a2(hn::Zero(DI32())),
        a3(hn::Zero(DI32())) {}
  hn::Vec<DI32> a0, a1, a2, a3;
};

RSR_TQ5_ATTR HWY_INLINE hn::Vec<DI32> Dot(hn::Vec<DI32> acc, VU8 c,
                                          const int8_t* x) {
  const auto xv = hn::LoadU(DI8(), x);
  return hn::Vec<DI32>{_mm512_dpbusd_epi32(acc.raw, c.raw, xv.raw)};
}

HWY_INLINE int32_t Reduce(const Acc& acc) {
  const DI32 d32;
  const auto sum =
      hn::Add(hn::Add(acc.a0, hn::ShiftRight<2>(acc.a1)),
              hn::Add(hn::ShiftRight<4>(acc.a2), hn::ShiftRight<6>(acc.a3)));
  return hn::GetLane(hn::SumOfLanes(d32, sum));
}

// Software prefetch. The hardware prefetchers stop at 4 KiB pages
// (kernels/core/prefetch.h), so every weight line is requested ahead. GEMV:
// a segment of the 2-row tiles (rowpack.h, Layout; at most 10240
// activations) is one contiguous region in the order the tiles read it,
// requested as one sequential stream into L1 (T0) kNearAhead bytes past the
// current tile's start, two lines per block. AMD EPYC family 26 model 2, 1
// thread, fraction of the paired DRAM probe (docs/design-notes.md, "Weight
// streams from DRAM"): 131072x8192 0.89-0.99, against 0.74-0.82 with T1 row
// streams; from cache the same or faster (2560^2 to 6912x2560). Why the
// segments: rowpack.h, Layout.
// GEMM (1 row x 4 tokens) requests each row into L2 (T1) kPrefetchAhead
// bytes ahead.
constexpr size_t kNearAhead = size_t{10} << 10;
constexpr size_t kPrefetchAhead = size_t{32} << 10;

// GEMV, 2 rows (r1 = r0 + the segment's bytes): named accumulators (g++ 12
// copies the Acc array members through extra registers every block
// otherwise).
RSR_TQ5_ATTR HWY_INLINE void GemvDots2(const uint8_t* r0, const uint8_t* r1,
                                       const int8_t* x, size_t nblocks,
                                       int32_t raw[2]) {
  const DU8 du8;
  const Decoder dec;
  const DI32 d32;
  auto a0 = hn::Zero(d32), a1 = hn::Zero(d32), a2 = hn::Zero(d32),
       a3 = hn::Zero(d32);
  auto b0 = hn::Zero(d32), b1 = hn::Zero(d32), b2 = hn::Zero(d32),
       b3 = hn::Zero(d32);
  for (size_t b = 0; b < nblocks; ++b) {
    const size_t off = b * kBlockBytes;
    const int8_t* xb = x + b * kBlockCodes;
    PrefetchL1(r0 + kNearAhead + 2 * off);
    PrefetchL1(r0 + kNearAhead + 2 * off + 64);
    const Codes c = Unpack(dec, hn::Load(du8, r0 + off));
    const Codes d = Unpack(dec, hn::Load(du8, r1 + off));
    a0 = Dot(a0, c.q0, xb);
    b0 = Dot(b0, d.q0, xb);
    a1 = Dot(a1, c.q1, xb + 64);
    b1 = Dot(b1, d.q1, xb + 64);
    a2 = Dot(a2, c.q2, xb + 128);
    b2 = Dot(b2, d.q2, xb + 128);
    a3 = Dot(a3, c.q3, xb + 192);
    b3 = Dot(b3, d.q3, xb + 192);
    a0 = Dot(a0, c.q4, xb + 256);
    b0 = Dot(b0, d.q4, xb + 256);
    // Pins the accumulators: without it g++ 12 rotates six of them through
    // other registers every block (12 extra moves per 2 blocks).
    asm(""
        : "+v"(a1.raw), "+v"(a2.raw), "+v"(a3.raw), "+v"(b1.raw), "+v"(b2.raw),
          "+v"(b3.raw));
  }
  Acc acc;
  acc.a0 = a0, acc.a1 = a1, acc.a2 = a2, acc.a3 = a3;
  raw[0] = Reduce(acc);
  acc.a0 = b0, acc.a1 = b1, acc.a2 = b2, acc.a3 = b3;
  raw[1] = Reduce(acc);
}

// GEMM, 1 row x 4 tokens: each block is decoded once and applied to the 4
// tokens. The fields are shifted to unit scale here (3 shifts per block,
// shared by the tokens), so each token needs one accumulator instead of
// four: 4 accumulators + 5 codes + 5 tables in registers (the form with 16
// per-field accumulators spilled; docs/design-notes.md, tq5).
RSR_TQ5_ATTR HWY_INLINE void GemmDots1x4(const uint8_t* row,
                                         const int8_t* const* toks,
                                         size_t nblocks, int32_t raw[4]) {
  const DU8 du8;
  const hn::Repartition<uint16_t, DU8> du16;
  const Decoder dec;
  const DI32 d32;
  // Two accumulators per token (fields 0, 2, 4 and 1, 3): a chain of 5
  // dependent vpdpbusd per block per token made the loop latency-bound.
  auto a0 = hn::Zero(d32), a1 = hn::Zero(d32), a2 = hn::Zero(d32),
       a3 = hn::Zero(d32);
  auto b0 = hn::Zero(d32), b1 = hn::Zero(d32), b2 = hn::Zero(d32),
       b3 = hn::Zero(d32);
  for (size_t b = 0; b < nblocks; ++b) {
    const size_t off = b * kBlockBytes;
    PrefetchL2(row + off + kPrefetchAhead);
    const Codes c = Unpack(dec, hn::Load(du8, row + off));
    // Unit scale: q_i >> 2i by 16-bit shifts. The fields are masked, so the
    // bits a shift moves across a byte boundary are zeros.
    const VU8 q1 = hn::BitCast(du8, hn::ShiftRight<2>(hn::BitCast(du16, c.q1)));
    const VU8 q2 = hn::BitCast(du8, hn::ShiftRight<4>(hn::BitCast(du16, c.q2)));
    const VU8 q3 = hn::BitCast(du8, hn::ShiftRight<6>(hn::BitCast(du16, c.q3)));
    const size_t xo = b * kBlockCodes;
    a0 = Dot(a0, c.q0, toks[0] + xo);
    a1 = Dot(a1, c.q0, toks[1] + xo);
    a2 = Dot(a2, c.q0, toks[2] + xo);
    a3 = Dot(a3, c.q0, toks[3] + xo);
    b0 = Dot(b0, q1, toks[0] + xo + 64);
    b1 = Dot(b1, q1, toks[1] + xo + 64);
    b2 = Dot(b2, q1, toks[2] + xo + 64);
    b3 = Dot(b3, q1, toks[3] + xo + 64);
    a0 = Dot(a0, q2, toks[0] + xo + 128);
    a1 = Dot(a1, q2, toks[1] + xo + 128);
    a2 = Dot(a2, q2, toks[2] + xo + 128);
    a3 = Dot(a3, q2, toks[3] + xo + 128);
    b0 = Dot(b0, q3, toks[0] + xo + 192);
    b1 = Dot(b1, q3, toks[1] + xo + 192);
    b2 = Dot(b2, q3, toks[2] + xo + 192);
    b3 = Dot(b3, q3, toks[3] + xo + 192);
    a0 = Dot(a0, c.q4, toks[0] + xo + 256);
    a1 = Dot(a1, c.q4, toks[1] + xo + 256);
    a2 = Dot(a2, c.q4, toks[2] + xo + 256);
    a3 = Dot(a3, c.q4, toks[3] + xo + 256);
  }
  raw[0] = hn::GetLane(hn::SumOfLanes(d32, hn::Add(a0, b0)));
  raw[1] = hn::GetLane(hn::SumOfLanes(d32, hn::Add(a1, b1)));
  raw[2] = hn::GetLane(hn::SumOfLanes(d32, hn::Add(a2, b2)));
  raw[3] = hn::GetLane(hn::SumOfLanes(d32, hn::Add(a3, b3)));
}

// The tile body rowpack's TiledRows calls: GEMV 2 rows x 1 token, GEMM 1 row
// x 4 tokens.
struct Tile {
  static constexpr size_t kActsPerByte = kTritsPerByte;
  template <size_t R, size_t T>
  static RSR_TQ5_ATTR HWY_INLINE void Dots(const uint8_t* const* rows,
                                           const uint8_t* const* /*next*/,
                                           const int8_t* const* toks,
                                           size_t bytes, int32_t raw[R][T]) {
    static_assert((R == 2 && T == 1) || (R == 1 && T == 4), "tiles");
    const size_t nblocks = bytes / kBlockBytes;
    if constexpr (T == 1) {
      int32_t r2[2];
      GemvDots2(rows[0], rows[1], toks[0], nblocks, r2);
      raw[0][0] = r2[0];
      raw[1][0] = r2[1];
    } else {
      GemmDots1x4(rows[0], toks, nblocks, raw[0]);
    }
  }
};

// GEMM: 1 row x 4 tokens (16 accumulators + 5 codes + 5 tables in the 32
// registers); GEMV: kGemvRows rows x 1 token.
constexpr size_t kGemmRows = 1, kGemmTokens = 4, kGemvRows = 2;

// Bytes of per-thread scratch GemmRows / GemvRows need (none here).
size_t RowScratchBytes(size_t /*row_bytes*/) { return 0; }

RSR_TQ5_ATTR void GemmRows(const uint8_t* HWY_RESTRICT w,
                           const rowpack::Layout& L,
                           const int8_t* HWY_RESTRICT xs, size_t xstride,
                           size_t tokens, const int32_t* sums,
                           const float* act_scales, float w_scale,
                           float* HWY_RESTRICT y, size_t r0, size_t r1,
                           uint8_t* /*scratch*/) {
  rowpack::HWY_NAMESPACE::TiledRows<kGemmRows, kGemmTokens, Tile>(
      w, L, xs, xstride, tokens, sums, act_scales, w_scale, y, r0, r1);
}

RSR_TQ5_ATTR void GemvRows(const uint8_t* HWY_RESTRICT w,
                           const rowpack::Layout& L,
                           const int8_t* HWY_RESTRICT xs, int32_t sum,
                           float act_scale, float w_scale,
                           float* HWY_RESTRICT y, size_t r0, size_t r1,
                           uint8_t* /*scratch*/) {
  rowpack::HWY_NAMESPACE::TiledRows<kGemvRows, 1, Tile>(
      w, L, xs, /*xstride=*/0, 1, &sum, &act_scale, w_scale, y, r0, r1);
}

#else  // !HWY_AVX3_DL

// Row r decoded to one code (0..2) per column, nblocks * 320 bytes.
#if HWY_TARGET == HWY_NEON && HWY_ARCH_ARM_A64
// NEON: the 256-entry field table as four 64-byte tbl tables (tbx leaves a
// lane whose index is past the table unchanged, so one tbl and three tbx on
// the byte minus 0, 64, 128, 192 make the 256-entry lookup), t4 by one tbl on
// the low 6 bits.
inline uint8x16x4_t LoadTable64(const uint8_t* p) {
  uint8x16x4_t t;
  t.val[0] = vld1q_u8(p);
  t.val[1] = vld1q_u8(p + 16);
  t.val[2] = vld1q_u8(p + 32);
  t.val[3] = vld1q_u8(p + 48);
  return t;
}

inline void DecodeRow(const uint8_t* row, size_t nblocks, uint8_t* codes) {
  const uint8x16x4_t f0 = LoadTable64(kTables.fields.data());
  const uint8x16x4_t f1 = LoadTable64(kTables.fields.data() + 64);
  const uint8x16x4_t f2 = LoadTable64(kTables.fields.data() + 128);
  const uint8x16x4_t f3 = LoadTable64(kTables.fields.data() + 192);
  const uint8x16x4_t t4 = LoadTable64(kTables.trit4.data());
  const uint8x16_t c64 = vdupq_n_u8(64), m3 = vdupq_n_u8(3),
                   m63 = vdupq_n_u8(63);
  for (size_t b = 0; b < nblocks; ++b) {
    const uint8_t* in = row + b * kBlockBytes;
    uint8_t* out = codes + b * kBlockCodes;
    for (size_t j = 0; j < kBlockBytes; j += 16) {
      const uint8x16_t v = vld1q_u8(in + j);
      const uint8x16_t i1 = vsubq_u8(v, c64);
      const uint8x16_t i2 = vsubq_u8(i1, c64);
      uint8x16_t f = vqtbl4q_u8(f0, v);
      f = vqtbx4q_u8(f, f1, i1);
      f = vqtbx4q_u8(f, f2, i2);
      f = vqtbx4q_u8(f, f3, vsubq_u8(i2, c64));
      vst1q_u8(out + j, vandq_u8(f, m3));
      vst1q_u8(out + j + 64, vandq_u8(vshrq_n_u8(f, 2), m3));
      vst1q_u8(out + j + 128, vandq_u8(vshrq_n_u8(f, 4), m3));
      vst1q_u8(out + j + 192, vshrq_n_u8(f, 6));
      vst1q_u8(out + j + 256, vqtbl4q_u8(t4, vandq_u8(v, m63)));
    }
  }
}
#else
inline void DecodeRow(const uint8_t* row, size_t nblocks, uint8_t* codes) {
  for (size_t b = 0; b < nblocks; ++b) {
    const uint8_t* in = row + b * kBlockBytes;
    uint8_t* out = codes + b * kBlockCodes;
    for (size_t j = 0; j < kBlockBytes; ++j) {
      const uint8_t f = kTables.fields[in[j]];
      out[j] = f & 3;
      out[j + 64] = (f >> 2) & 3;
      out[j + 128] = (f >> 4) & 3;
      out[j + 192] = f >> 6;
      out[j + 256] = kTables.trit4[in[j] & 63];
    }
  }
}
#endif

// raw = sum_k codes[k] * x[k] over n = nblocks * 320 bytes.
inline int32_t DotCodes(const uint8_t* HWY_RESTRICT codes,
                        const int8_t* HWY_RESTRICT x, size_t n) {
#if HWY_TARGET == HWY_SCALAR
  int32_t raw = 0;
  for (size_t k = 0; k < n; ++k) raw += codes[k] * x[k];
  return raw;
#else
  // Capped at 64 bytes: 64 divides 320, so n is a multiple of the lanes.
  const hn::CappedTag<uint8_t, 64> du8;
  const hn::Repartition<int8_t, decltype(du8)> di8;
  const hn::Repartition<int16_t, decltype(du8)> d16;
  const hn::Repartition<int32_t, decltype(du8)> d32;
  const size_t C = hn::Lanes(du8);
  const auto ones = hn::Set(d16, 1);
  auto acc0 = hn::Zero(d32), acc1 = hn::Zero(d32);
  for (size_t k = 0; k < n; k += C) {
    // u8 codes (<= 2) times s8 activations, adjacent pairs summed in int16
    // (|pair| <= 512), then widened to int32 every vector.
    const auto c16 = hn::BitCast(d16, hn::LoadU(du8, codes + k));
    const auto x16 = hn::BitCast(d16, hn::LoadU(di8, x + k));
    const auto c_even = hn::And(c16, hn::Set(d16, 0xFF));
    const auto c_odd = hn::ShiftRight<8>(c16);  // codes < 128: no sign bits
    const auto x_even = hn::ShiftRight<8>(hn::ShiftLeft<8>(x16));
    const auto x_odd = hn::ShiftRight<8>(x16);
    const auto p = hn::Add(hn::Mul(c_even, x_even), hn::Mul(c_odd, x_odd));
    acc0 = hn::ReorderWidenMulAccumulate(d32, p, ones, acc0, acc1);
  }
  return hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc0, acc1)));
#endif
}

// One decoded row: a code byte per column.
size_t RowScratchBytes(size_t row_bytes) {
  return row_bytes / kBlockBytes * kBlockCodes;
}

// scratch: RowScratchBytes(row_bytes) bytes, 64-byte aligned, this thread's.
void GemmRows(const uint8_t* HWY_RESTRICT w, const rowpack::Layout& L,
              const int8_t* HWY_RESTRICT xs, size_t xstride, size_t tokens,
              const int32_t* sums, const float* act_scales, float w_scale,
              float* HWY_RESTRICT y, size_t r0, size_t r1,
              uint8_t* HWY_RESTRICT scratch) {
  const size_t n = L.row_bytes / kBlockBytes * kBlockCodes;
  for (size_t r = r0; r < r1; ++r) {
    for (size_t s = 0; s < L.Segments(); ++s) {
      DecodeRow(w + L.Offset(r, s), L.SegmentBytes(s) / kBlockBytes,
                scratch + s * rowpack::kSegmentBytes * kTritsPerByte);
    }
    for (size_t t = 0; t < tokens; ++t) {
      const int32_t raw = DotCodes(scratch, xs + t * xstride, n);
      y[t * L.rows + r] = DequantizeDot(raw - sums[t], act_scales[t], w_scale);
    }
  }
}

// One token through the GEMM loop.
void GemvRows(const uint8_t* HWY_RESTRICT w, const rowpack::Layout& L,
              const int8_t* HWY_RESTRICT xs, int32_t sum, float act_scale,
              float w_scale, float* HWY_RESTRICT y, size_t r0, size_t r1,
              uint8_t* HWY_RESTRICT scratch) {
  GemmRows(w, L, xs, /*xstride=*/0, 1, &sum, &act_scale, w_scale, y, r0, r1,
           scratch);
}

#endif  // HWY_AVX3_DL

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace tq5
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
