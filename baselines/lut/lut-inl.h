// Per-target SIMD bodies shared by TL1 and TL2 (included once per Highway
// target by tl1.cc and tl2.cc through foreach_target.h): the tile loops
// LutTiles (TL1) and Tl2Tiles (TL2), described here, the per-token table
// builder BuildTables (described above it) and the token-table GEMM.
//
// TL1 stores, per tile of 64 rows and block of 8 column pairs, four 64-byte
// planes of 4-bit table indices (byte r = row r, low nibble = even pair, high
// nibble = odd pair), tile-major. TL2 (tl2.h, layout 2) stores five 64-byte
// planes holding a 5-bit code (sign << 4 | |v|) per triple, blocks in
// chunk-major order (Tl2BlockIndex).
//
// A group's table holds 16 int16 values v (tl1.h / tl2.h say which; TL2 also
// their negations, 32 entries per plane), stored as two byte planes: lo = v &
// 63 and hi = int8(v >> 6), so v = lo + 64 * hi. Per group and vector of N
// rows (N = 64 on AVX-512, 32 on AVX2, 16 on SSE4/NEON; narrower targets make
// 64/N passes over the tile):
//   lo = Lookup(table_lo, idx), hi = Lookup(table_hi, idx)
//   lo_acc += lo (u8, at most 4 groups of <= 63), hi_acc += hi (int8, at most
//   16 groups), both widened into int16 sums of even and odd rows.
// TL2 on AVX3_DL: idx = the code, one vpermb per plane over [T | -T] stored
// twice (index bits 7:5 ignored): no sign pass. TL2 elsewhere: idx = |v|
// (pshufb reads 4 bits), sign applied as ~v = -v - 1 (masked subs on AVX3,
// xor on the others) and the per-row count of negative triples added at the
// end. int16 sums are widened to int32 every 64 groups: |v| <= 2*128 = 256
// (TL1), 3*128 = 384 (TL2 AVX3_DL) or 385 (TL2 with ~v), and 64 * 385 =
// 24640 < 32767, so every int16 partial sum is exact. The even/odd int16
// split is undone when the int32 sums are stored to rows.
//
// Vector ALU ops per block of 8 groups x 64 rows, TL2 on AVX3_DL, counted
// in g++ 12's loop: layout 1: 72 (16 vpermb, 8 vptestmb, 16 masked vpsubb,
// 14 vpaddb, 3 nibble shifts, and 15 for the int16 flushes), plus 16
// register copies for the masked subs; layout 2: 55 (16 vpermb, 14 vpaddb,
// 7 shifts + 4 vpternlogd for triples 5..7, 14 for the flushes), -24%. Loads:
// 16 table broadcasts per block as before (32 bytes each instead of 16).
//
// What limits it: AMD Zen 5 (family 26 model 2), AVX3_DL, 1 thread, median
// ms over interleaved rounds, layout 1 -> 2: 2560^2 0.0316 -> 0.0259 and
// 4096^2 0.0795 -> 0.0665 (from cache: 20.0 -> 16.4 cycles per 1000 weights,
// the ALU work), 16384^2 1.30 -> 1.11 (0.86 -> 1.01 of the size-matched read
// probe), 32768^2 6.27 -> 6.59 (0.86 -> 0.82): from DRAM the bandwidth. See
// Tl2Tiles for what the doubled table bytes cost before the chunk-major
// order, and docs/design-notes.md for the targets without vpermb. On Zen 4
// the layout-1 loop was vector-ALU bound (~1.6 ALU ops per cycle at 4096^2):
// removing its sign ops (a wrong-answer timing experiment) took 4096^2 from
// 0.160 to 0.127 ms, but 16384^2 (DRAM) only from ~2.9 to ~2.8 ms.

#include "baselines/lut/lut_format.h"
#include "kernels/core/prefetch.h"

#if defined(RSR_BASELINES_LUT_LUT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_BASELINES_LUT_LUT_INL_H_
#undef RSR_BASELINES_LUT_LUT_INL_H_
#else
#define RSR_BASELINES_LUT_LUT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace lut {
namespace hn = hwy::HWY_NAMESPACE;

inline constexpr size_t kRows = kTlRows;
inline constexpr size_t kGroupsPerBlock = kTlGroupsPerBlock;
inline constexpr size_t kTable = kTlTableBytes;
inline constexpr size_t kWidenBlocks = 8;  // widen every 64 groups

#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define RSR_LUT_AVX3 1
#else
#define RSR_LUT_AVX3 0
#endif

// Byte lookup of a 16-entry table replicated in every 128-bit block. On
// AVX3_DL, vpermb uses index bits 5:0 without pshufb's bit-7 zeroing; bits 5:4
// only pick one of the identical 128-bit replicas, so the nibble planes need
// no And after the shift: -1 op per group. Measured as AVX3 (pshufb + And) vs
// AVX3_DL (vpermb), 1 thread, min ms: tl2 2560^2 0.069 -> 0.065, 4096^2 0.169
// -> 0.159; tl1 0.075 -> 0.074, 0.185 -> 0.180.
template <class D, class V>
HWY_INLINE V Lookup(D /*d*/, V table, V idx) {
#if HWY_TARGET == HWY_AVX3_DL
  return V{_mm512_permutexvar_epi8(idx.raw, table.raw)};
#else
  return hn::TableLookupBytes(table, idx);
#endif
}

// ------------------------------ TL2 codes (tl2.h)
//
// The 8 triples of a block (5 planes P0..P4 of N rows) as lookup inputs.
// Triples 0..4: code in bits 4:0 of their plane. Spread codes: c5 = P0 7:5 |
// P1 6:5 << 3, c6 = P2 7:5 | P3 6:5 << 3, c7 = P4 7:5 | P1 bit 7 << 3 | P3
// bit 7 << 4. Shifts are 16-bit (no 8-bit shift on x86): bits shifted in from
// the neighbouring byte land above bit 4 or are masked off.
// Plane k of a block's rows (blk + s), shifted by kBits in 16-bit lanes.
template <int kBits, class D>
HWY_INLINE hn::Vec<D> Tl2Plane(D d, const uint8_t* HWY_RESTRICT blk,
                               size_t k) {
  const hn::RepartitionToWide<D> d16;
  const auto p = hn::BitCast(d16, hn::Load(d, blk + k * kRows));
  if constexpr (kBits > 0) return hn::BitCast(d, hn::ShiftRight<kBits>(p));
  if constexpr (kBits < 0) return hn::BitCast(d, hn::ShiftLeft<-kBits>(p));
  return hn::BitCast(d, p);
}

#if RSR_LUT_AVX3
// AVX3, AVX3_DL: the code of triple g in bits 4:0 (bits 7:5 junk): the
// plane itself for g < 5, vpternlogd bit selects (IfVecThenElse) of shifted
// planes for the spread codes: 3 + 3 + 5 ops for triples 5, 6, 7. Computed
// where used (one group's lookups), which keeps 4 units' codes out of the
// registers.
template <class D>
HWY_INLINE hn::Vec<D> Tl2Code(D d, const uint8_t* HWY_RESTRICT blk,
                              size_t g) {
  const auto k07 = hn::Set(d, 0x07);
  if (g < 5) return Tl2Plane<0>(d, blk, g);
  if (g == 5) {
    return hn::IfVecThenElse(k07, Tl2Plane<5>(d, blk, 0),
                             Tl2Plane<2>(d, blk, 1));
  }
  if (g == 6) {
    return hn::IfVecThenElse(k07, Tl2Plane<5>(d, blk, 2),
                             Tl2Plane<2>(d, blk, 3));
  }
  return hn::IfVecThenElse(
      hn::Set(d, 0x0F),
      hn::IfVecThenElse(k07, Tl2Plane<5>(d, blk, 4), Tl2Plane<4>(d, blk, 1)),
      Tl2Plane<3>(d, blk, 3));
}
#else
// Byte-shuffle targets: the magnitude index of triple g (bits 3:0, bit 7
// clear for pshufb) and its sign in bit 7 (for blendv), from the planes
// directly: mag 1 op + sign 1 op for triples 0..4; 5 + 1, 5 + 1 and 5 + 0
// for triples 5..7 (c7's sign bit is P3 bit 7 as it is).
template <class D>
HWY_INLINE void Tl2MagSign(D d, const uint8_t* HWY_RESTRICT blk, size_t g,
                           hn::Vec<D>& mag, hn::Vec<D>& sgn) {
  const auto k07 = hn::Set(d, 0x07), k08 = hn::Set(d, 0x08);
  if (g < 5) {
    mag = hn::And(Tl2Plane<0>(d, blk, g), hn::Set(d, 0x0F));
    sgn = Tl2Plane<-3>(d, blk, g);
  } else if (g == 5) {
    mag = hn::Or(hn::And(Tl2Plane<5>(d, blk, 0), k07),
                 hn::And(Tl2Plane<2>(d, blk, 1), k08));
    sgn = Tl2Plane<-1>(d, blk, 1);
  } else if (g == 6) {
    mag = hn::Or(hn::And(Tl2Plane<5>(d, blk, 2), k07),
                 hn::And(Tl2Plane<2>(d, blk, 3), k08));
    sgn = Tl2Plane<-1>(d, blk, 3);
  } else {
    mag = hn::Or(hn::And(Tl2Plane<5>(d, blk, 4), k07),
                 hn::And(Tl2Plane<4>(d, blk, 1), k08));
    sgn = Tl2Plane<0>(d, blk, 3);
  }
}
#endif

// ------------------------------ Row sums (both tile loops)
//
// int16 sums of a vector of rows, even rows (2i) and odd rows (2i+1) apart,
// fed with u8 sums of low parts and int8 sums of high parts (value = low +
// 64 * high), widened into four int32 vectors, stored to rows at the end.

// lo_acc (u8 sums of <= 4 low parts of <= 63) into the int16 sums.
template <class D16, class V8>
HWY_INLINE void AddLowParts(D16 du16, V8 lo_acc, hn::Vec<D16>& even,
                            hn::Vec<D16>& odd) {
  const auto l16 = hn::BitCast(du16, lo_acc);
  even = hn::Add(even, hn::And(l16, hn::Set(du16, 0x00FF)));
  odd = hn::Add(odd, hn::ShiftRight<8>(l16));
}

// 64 * hi_acc (int8 sums of <= 16 high parts) into the int16 sums:
// (high << 8) >> 2 in int16 lanes.
template <class D16, class V8>
HWY_INLINE void AddHighParts(D16 du16, V8 hi_acc, hn::Vec<D16>& even,
                             hn::Vec<D16>& odd) {
  const hn::RebindToSigned<D16> di16;
  const auto h16 = hn::BitCast(di16, hi_acc);
  const auto he = hn::ShiftRight<2>(hn::ShiftLeft<8>(h16));
  const auto ho = hn::ShiftRight<2>(
      hn::And(h16, hn::BitCast(di16, hn::Set(du16, 0xFF00))));
  even = hn::Add(even, hn::BitCast(du16, he));
  odd = hn::Add(odd, hn::BitCast(du16, ho));
}

// The int16 sums added to the int32 sums a0..a3 (lower/upper halves of the
// even, then the odd rows).
template <class D16, class D32>
HWY_INLINE void WidenSums(D16 /*du16*/, D32 di32, hn::Vec<D16> even,
                          hn::Vec<D16> odd, hn::Vec<D32>& a0, hn::Vec<D32>& a1,
                          hn::Vec<D32>& a2, hn::Vec<D32>& a3) {
  const hn::RebindToSigned<D16> di16;
  const hn::Half<decltype(di16)> dh16;
  const auto se = hn::BitCast(di16, even), so = hn::BitCast(di16, odd);
  a0 = hn::Add(a0, hn::PromoteTo(di32, hn::LowerHalf(dh16, se)));
  a1 = hn::Add(a1, hn::PromoteTo(di32, hn::UpperHalf(dh16, se)));
  a2 = hn::Add(a2, hn::PromoteTo(di32, hn::LowerHalf(dh16, so)));
  a3 = hn::Add(a3, hn::PromoteTo(di32, hn::UpperHalf(dh16, so)));
}

// a0..a3 to the 4 * Lanes(di32) rows at `out`, the even/odd split undone
// (through `sums`, aligned scratch of as many int32).
template <class D32>
HWY_INLINE void StoreRowSums(D32 di32, hn::Vec<D32> a0, hn::Vec<D32> a1,
                             hn::Vec<D32> a2, hn::Vec<D32> a3,
                             int32_t* HWY_RESTRICT sums,
                             int32_t* HWY_RESTRICT out) {
  const size_t N32 = hn::Lanes(di32);
  hn::Store(a0, di32, sums);
  hn::Store(a1, di32, sums + N32);
  hn::Store(a2, di32, sums + 2 * N32);
  hn::Store(a3, di32, sums + 3 * N32);
  for (size_t i = 0; i < 2 * N32; ++i) {
    out[2 * i] = sums[i];
    out[2 * i + 1] = sums[2 * N32 + i];
  }
}

// TL1: tiles [tile_begin, tile_end) for `tokens` tokens. `packed` holds
// blocks_per_tile blocks per tile (tile-major) of four index planes (256
// bytes). `tables` holds per token blocks_per_tile*8 group tables of 32
// bytes. Writes the int32 sums to dots[t * dot_stride + row] for every row of
// the tiles (padding rows too).
inline HWY_NOINLINE void LutTiles(const LutTileJob& job) {
  const uint8_t* HWY_RESTRICT packed = job.packed;
  const uint8_t* HWY_RESTRICT tables = job.tables;
  int32_t* HWY_RESTRICT dots = job.dots;
  const size_t blocks_per_tile = job.blocks_per_tile, tokens = job.tokens;
  const size_t tile_begin = job.tile_begin, tile_end = job.tile_end;
  const size_t dot_stride = job.dot_stride;
  constexpr size_t block_bytes = 4 * kRows;
  const hn::CappedTag<uint8_t, kRows> du8;
  const hn::RepartitionToWide<decltype(du8)> du16;
  const hn::RebindToSigned<decltype(du16)> di16;
  const hn::Half<decltype(di16)> dh16;
  const hn::Rebind<int32_t, decltype(dh16)> di32;
  const size_t N = hn::Lanes(du8);
  HWY_DASSERT(kRows % N == 0 && hn::Lanes(di32) * 4 == N);

  HWY_ALIGN int32_t sums[kRows];
  const auto k0F = hn::Set(du8, 0x0F);
  const size_t groups = blocks_per_tile * kGroupsPerBlock;
  (void)k0F;

  // Software prefetch 16 KiB ahead during the first pass over a tile: the
  // tile is one sequential stream and the hardware prefetchers stop at 4 KiB
  // pages (kernels/core/prefetch.h). AVX3_DL, 1 thread, idle, min ms at
  // 16384^2, none / 4 / 8 / 16 KiB ahead: tl2 4.28 / 2.85-3.01 / 2.60-2.74 /
  // 2.64-2.66, tl1 5.06 / 3.33-3.48 / 3.17-3.31 / 3.07-3.16; from cache
  // (2560^2) no change. Into L1 (T0), not L2 (T1): AMD EPYC family 26 model
  // 2, 32768^2, fraction of the paired DRAM probe: tl2 0.81-0.82 ->
  // 0.85-0.94, tl1 0.80-0.85 -> 0.85-0.90, from cache the same
  // (docs/design-notes.md, "Weight streams from DRAM").
  constexpr size_t kAhead = 16384;
  const uint8_t* const w_end =
      packed + tile_end * blocks_per_tile * block_bytes;
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    const uint8_t* w_tile = packed + tile * blocks_per_tile * block_bytes;
    for (size_t t = 0; t < tokens; ++t) {
      const uint8_t* tab_token = tables + t * groups * kTable;
      int32_t* dot_row = dots + t * dot_stride + tile * kRows;
      for (size_t s = 0; s < kRows; s += N) {
        auto a32_0 = hn::Zero(di32), a32_1 = hn::Zero(di32);
        auto a32_2 = hn::Zero(di32), a32_3 = hn::Zero(di32);
        for (size_t b0 = 0; b0 < blocks_per_tile; b0 += kWidenBlocks) {
          const size_t b1 = HWY_MIN(blocks_per_tile, b0 + kWidenBlocks);
          // int16 sums of even rows (2i) and odd rows (2i+1) of the vector.
          auto acc_even = hn::Zero(du16), acc_odd = hn::Zero(du16);
          auto hi_acc = hn::Zero(du8);  // int8 sum of high parts
          for (size_t b = b0; b < b1; ++b) {
            const uint8_t* blk = w_tile + b * block_bytes;
            if (t == 0 && s == 0 && blk + kAhead + block_bytes <= w_end) {
              for (size_t l = 0; l < block_bytes; l += 64)
                PrefetchL1(blk + kAhead + l);
            }
            const uint8_t* tab = tab_token + b * kGroupsPerBlock * kTable;
            auto lo_acc = hn::Zero(du8);  // u8 sum of <= 4 low parts
            for (size_t p = 0; p < kGroupsPerBlock / 2; ++p) {
              const auto v = hn::Load(du8, blk + p * kRows + s);
#if HWY_TARGET == HWY_AVX3_DL
              const auto idx_even = v;
              const auto idx_odd =
                  hn::BitCast(du8, hn::ShiftRight<4>(hn::BitCast(du16, v)));
#else
              const auto idx_even = hn::And(v, k0F);
              const auto idx_odd = hn::ShiftRight<4>(v);
#endif
              for (int h = 0; h < 2; ++h) {
                const auto idx = h == 0 ? idx_even : idx_odd;
                const uint8_t* tg = tab + (2 * p + h) * kTable;
                const auto lo = Lookup(du8, hn::LoadDup128(du8, tg), idx);
                const auto hi = Lookup(du8, hn::LoadDup128(du8, tg + 16), idx);
                lo_acc = hn::Add(lo_acc, lo);
                hi_acc = hn::Add(hi_acc, hi);
              }
              if (p % 2 == 1) {  // 4 low parts (<= 4 * 63) -> int16
                AddLowParts(du16, lo_acc, acc_even, acc_odd);
                lo_acc = hn::Zero(du8);
              }
            }
            if (b % 2 == 1 || b + 1 == b1) {  // <= 16 high parts -> int16
              AddHighParts(du16, hi_acc, acc_even, acc_odd);
              hi_acc = hn::Zero(du8);
            }
          }
          WidenSums(du16, di32, acc_even, acc_odd, a32_0, a32_1, a32_2, a32_3);
        }
        StoreRowSums(di32, a32_0, a32_1, a32_2, a32_3, sums, dot_row + s);
      }
    }
  }
}

// TL2 (tl2.h): tiles [tile_begin, tile_end) for `tokens` tokens. `packed`
// holds the blocks of five code planes (320 bytes) in chunk-major order
// (Tl2BlockIndex); `tables` holds per token blocks_per_tile*8 group tables of
// 64 bytes ([T | -T] low plane, then high plane). Writes the int32 sums to
// dots[t * dot_stride + row] for every row of the tiles (padding rows too).
//
// K is walked in the chunks of the block order (kTl2ChunkBlocks = 32
// blocks), every tile of the range per chunk: the chunk's tables (16 KiB
// per token) then stay in L1 across the tiles, and the weights are still one
// sequential stream. The +-T tables are twice TL1's, and read from L2 once
// per tile they were the limit. AMD Zen 5 (family 26 model 2), AVX3_DL, 1
// thread, median ms at 16384^2 (layout 1: 1.32-1.57): tile-major blocks,
// whole K per tile 1.98-2.06; two to four tiles per table load 1.36-1.8;
// tile-major blocks walked in chunks of 32-256 blocks (the weights then come
// in 10-80 KiB runs) 1.47-3.2; a wrong-answer probe with every group reading
// one L1-resident table 1.07. The int32 sums of a row vector are kept in
// `dots` between chunks (in the a32_0..3 order, reordered at the end).
inline HWY_NOINLINE void Tl2Tiles(const LutTileJob& job) {
  const uint8_t* HWY_RESTRICT packed = job.packed;
  const uint8_t* HWY_RESTRICT tables = job.tables;
  int32_t* HWY_RESTRICT dots = job.dots;
  const size_t bpt = job.blocks_per_tile, tokens = job.tokens;
  const size_t tiles = job.tiles, dot_stride = job.dot_stride;
  constexpr size_t block_bytes = 5 * kRows;
  constexpr size_t table_bytes = 2 * kTable;
  using D8 = hn::CappedTag<uint8_t, kRows>;
  const D8 du8;
  const hn::RebindToSigned<D8> di8;
  const hn::RepartitionToWide<D8> du16;
  const hn::RebindToSigned<decltype(du16)> di16;
  const hn::Half<decltype(di16)> dh16;
  const hn::Rebind<int32_t, decltype(dh16)> di32;
  using V8 = hn::Vec<D8>;
  const size_t N = hn::Lanes(du8);
  const size_t N32 = hn::Lanes(di32);
  HWY_DASSERT(kRows % N == 0 && N32 * 4 == N);
  (void)di8;

  HWY_ALIGN int32_t sums[kRows];
  const auto k0F = hn::Set(du8, 0x0F);
  const auto k3F = hn::Set(du8, 0x3F);
  const auto kFF = hn::Set(du8, 0xFF);
  (void)k0F;
  (void)k3F;
  (void)kFF;
  // Targets without vpermb add the count of negative triples per row.
  const int32_t* HWY_RESTRICT bias =
      HWY_TARGET == HWY_AVX3_DL ? nullptr : job.row_bias;
  (void)bias;
#if RSR_LUT_AVX3 && HWY_TARGET != HWY_AVX3_DL
  const auto k10 = hn::Set(du8, 0x10);
#endif
  const size_t groups = bpt * kGroupsPerBlock;
  // Weights prefetched into L1 as in LutTiles (TL1), the block order being
  // the order of the reads, but 8 KiB ahead: beside a chunk's 16 KiB of
  // tables less is in flight in L1. AMD EPYC family 26 model 2, 1 thread,
  // three interleaved rounds, fraction of the paired DRAM probe at 32768^2:
  // 8 KiB 0.90-0.98 (6.77-6.91 ms), 12 KiB 0.92-0.97, 16 KiB 0.85-0.89
  // (6.98-7.28 ms), 24 KiB 0.86-0.90; 16384^2 0.91-1.10 for all; from cache
  // 2% faster than 16 KiB (2560^2 15.6-15.8 vs 16.2 cycles per 1000 weights).
  constexpr size_t kAhead = 8192;
  const uint8_t* const w_end = packed + tiles * bpt * block_bytes;
  for (size_t c0 = 0; c0 < bpt; c0 += kTl2ChunkBlocks) {
    const size_t c1 = HWY_MIN(bpt, c0 + kTl2ChunkBlocks);
    const bool first = c0 == 0, last = c1 == bpt;
    for (size_t tile = job.tile_begin; tile < job.tile_end; ++tile) {
      const uint8_t* w_run =
          packed + Tl2BlockIndex(tiles, bpt, tile, c0) * block_bytes;
      for (size_t t = 0; t < tokens; ++t) {
        const uint8_t* tab_token = tables + t * groups * table_bytes;
        int32_t* dot_row = dots + t * dot_stride + tile * kRows;
        for (size_t s = 0; s < kRows; s += N) {
          auto a32_0 = hn::Zero(di32), a32_1 = hn::Zero(di32);
          auto a32_2 = hn::Zero(di32), a32_3 = hn::Zero(di32);
          if (!first) {
            a32_0 = hn::LoadU(di32, dot_row + s);
            a32_1 = hn::LoadU(di32, dot_row + s + N32);
            a32_2 = hn::LoadU(di32, dot_row + s + 2 * N32);
            a32_3 = hn::LoadU(di32, dot_row + s + 3 * N32);
          }
          for (size_t b0 = c0; b0 < c1; b0 += kWidenBlocks) {
            const size_t b1 = HWY_MIN(c1, b0 + kWidenBlocks);
            // int16 sums of even rows (2i) and odd rows (2i+1).
            auto acc_even = hn::Zero(du16), acc_odd = hn::Zero(du16);
            auto hi_acc = hn::Zero(du8);  // int8 sum of high parts
            for (size_t b = b0; b < b1; ++b) {
              const uint8_t* blk = w_run + (b - c0) * block_bytes;
              if (t == 0 && s == 0 && blk + kAhead + block_bytes <= w_end) {
                for (size_t l = 0; l < block_bytes; l += 64)
                  PrefetchL1(blk + kAhead + l);
              }
              const uint8_t* tab =
                  tab_token + b * kGroupsPerBlock * table_bytes;
              auto lo_acc = hn::Zero(du8);  // u8 sum of <= 4 low parts
#pragma GCC unroll 8
              for (size_t g = 0; g < kGroupsPerBlock; ++g) {
                const uint8_t* tg = tab + g * table_bytes;
                V8 lo, hi;
#if HWY_TARGET == HWY_AVX3_DL
                // 64 entries = [T | -T] twice: code bits 7:5 do not matter.
                const V8 code = Tl2Code(du8, blk + s, g);
                const __m512i tlo = _mm512_broadcast_i64x4(
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tg)));
                const __m512i thi = _mm512_broadcast_i64x4(_mm256_loadu_si256(
                    reinterpret_cast<const __m256i*>(tg + kTable)));
                lo.raw = _mm512_permutexvar_epi8(code.raw, tlo);
                hi.raw = _mm512_permutexvar_epi8(code.raw, thi);
#elif RSR_LUT_AVX3
                // pshufb of |v| in the +T half, then lo = 63 - lo, hi = 255 -
                // hi (~v = -v - 1) under the code's bit 4; row_bias adds the
                // 1s back. (Looking up -T too and merging, masked pshufb:
                // 2560^2 0.043 vs 0.033 ms for layout 1 on AVX3.)
                const V8 code = Tl2Code(du8, blk + s, g);
                const V8 m = hn::And(code, k0F);
                const __mmask64 neg = _mm512_test_epi8_mask(code.raw, k10.raw);
                lo = hn::TableLookupBytes(hn::LoadDup128(du8, tg), m);
                hi = hn::TableLookupBytes(hn::LoadDup128(du8, tg + kTable), m);
                lo.raw = _mm512_mask_sub_epi8(lo.raw, neg, k3F.raw, lo.raw);
                hi.raw = _mm512_mask_sub_epi8(hi.raw, neg, kFF.raw, hi.raw);
#else
                // |v| looked up in the +T half, then ~v = -v - 1 where the
                // sign (bit 7 of sgn) is set: lo ^ 63, hi ^ 0xFF; row_bias
                // adds the 1s back. (Looking up -T too and blending: 4
                // shuffles per group instead of 2, AVX2 2560^2 0.074 vs 0.066
                // ms for layout 1.)
                V8 mag, sgn;
                Tl2MagSign(du8, blk + s, g, mag, sgn);
                const V8 neg = hn::BitCast(
                    du8, hn::BroadcastSignBit(hn::BitCast(di8, sgn)));
                lo = hn::Xor(hn::TableLookupBytes(hn::LoadDup128(du8, tg), mag),
                             hn::And(neg, k3F));
                hi = hn::Xor(
                    hn::TableLookupBytes(hn::LoadDup128(du8, tg + kTable), mag),
                    neg);
#endif
                lo_acc = hn::Add(lo_acc, lo);
                hi_acc = hn::Add(hi_acc, hi);
                if (g % 4 == 3) {  // 4 low parts (<= 4 * 63) -> int16
                  AddLowParts(du16, lo_acc, acc_even, acc_odd);
                  lo_acc = hn::Zero(du8);
                }
              }
              if (b % 2 == 1 || b + 1 == b1) {  // <= 16 high parts -> int16
                AddHighParts(du16, hi_acc, acc_even, acc_odd);
                hi_acc = hn::Zero(du8);
              }
            }
            WidenSums(du16, di32, acc_even, acc_odd, a32_0, a32_1, a32_2, a32_3);
          }
          if (!last) {  // the a32 order, read back by the next chunk
            hn::StoreU(a32_0, di32, dot_row + s);
            hn::StoreU(a32_1, di32, dot_row + s + N32);
            hn::StoreU(a32_2, di32, dot_row + s + 2 * N32);
            hn::StoreU(a32_3, di32, dot_row + s + 3 * N32);
            continue;
          }
          StoreRowSums(di32, a32_0, a32_1, a32_2, a32_3, sums, dot_row + s);
          if (bias) {
            for (size_t i = 0; i < N; ++i)
              dot_row[s + i] += bias[tile * kRows + s + i];
          }
        }
      }
    }
  }
}

// ------------------------------ Table builder

// c[i][e] = coefficient of a_i in table slot e % 16 (two groups' worth, for
// 512-bit vectors): digit i of e - kBias for slots below kSlots, else 0.
template <size_t kCols, int kBias, int kSlots>
struct SlotCoefficients {
  alignas(64) int16_t c[kCols][32] = {};
  constexpr SlotCoefficients() {
    for (size_t i = 0; i < kCols; ++i) {
      for (int e = 0; e < 32; ++e)
        c[i][e] = static_cast<int16_t>(
            e % 16 < kSlots ? TernaryDigit(e % 16 - kBias, i, kCols) : 0);
    }
  }
};

// TableLookupBytes indices that copy int16 word kCols*s + i (activation i of
// group s of the vector) into every lane of group s (16 lanes per group).
template <size_t kCols>
struct BroadcastIndices {
  alignas(64) uint8_t b[kCols][64] = {};
  constexpr BroadcastIndices() {
    for (size_t i = 0; i < kCols; ++i) {
      for (size_t k = 0; k < 64; ++k)
        b[i][k] = static_cast<uint8_t>(2 * (kCols * (k / 32) + i) + k % 2);
    }
  }
};

// The group tables of one token (ceil(K / (8 * kCols)) * 8 of 32 bytes):
// slot e of group g holds v = sum_i c_i(e) * q[kCols*g + i] (activations past
// K count as 0; coefficients as in SlotCoefficients), stored as the low plane
// v & 63 (16 bytes) then the high plane int8(v >> 6). TL1: <2, 4, 9> (slot
// 3*c0 + c1 + 4), TL2: <3, 0, 14> (slot 9*c0 + 3*c1 + c2).
//
// Per group the 16 slots are 16 int16 lanes: v = sum_i Mul(C_i, A_i) with A_i
// activation i broadcast to the group's lanes (8 activations sign-extended
// into every 128-bit block, then one byte shuffle per A_i); the two planes
// are the low bytes of v & 63 and v >> 6 (ConcatEven). AVX2 does one group
// per vector, AVX-512 two (then a 64-bit lane shuffle puts lo, hi per group
// together), 128-bit targets one group in two vectors. Scalable and scalar
// targets fall back to plain code.
template <size_t kCols, int kBias, int kSlots, bool kWithNegation = false>
HWY_NOINLINE void BuildTables(const int8_t* HWY_RESTRICT q, size_t K,
                              uint8_t* HWY_RESTRICT tables) {
  static constexpr SlotCoefficients<kCols, kBias, kSlots> kCoef;
  // Bytes per group, and where the high plane starts.
  constexpr size_t kOut = kWithNegation ? 2 * kTable : kTable;
  constexpr size_t kHiAt = kOut / 2;
  constexpr size_t kGroupCols = kCols * kGroupsPerBlock;
  const size_t groups = (K + kGroupCols - 1) / kGroupCols * kGroupsPerBlock;
#if HWY_HAVE_SCALABLE || HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
  for (size_t g = 0; g < groups; ++g) {
    int a[kCols];
    for (size_t i = 0; i < kCols; ++i)
      a[i] = kCols * g + i < K ? q[kCols * g + i] : 0;
    for (size_t e = 0; e < kHiAt; ++e) {
      int v = 0;
      for (size_t i = 0; i < kCols; ++i) v += kCoef.c[i][e % 16] * a[i];
      if (e >= 16) v = -v;
      tables[kOut * g + e] = static_cast<uint8_t>(v & 63);
      tables[kOut * g + kHiAt + e] =
          static_cast<uint8_t>(static_cast<int8_t>(v >> 6));
    }
  }
#else
  static constexpr BroadcastIndices<kCols> kIdx;
  const hn::ScalableTag<int16_t> d16;
  const hn::Repartition<uint8_t, decltype(d16)> du8;
  const hn::Rebind<int8_t, decltype(d16)> di8;  // half width
  const hn::Repartition<uint64_t, decltype(di8)> du64_half;
  using V16 = hn::Vec<decltype(d16)>;
  constexpr size_t kLanes = hn::MaxLanes(d16);  // 8, 16 or 32
  constexpr size_t kGroupsPerVec = kLanes >= 16 ? kLanes / 16 : 1;
  // The activations of a vector's groups fit in 8 int16 words.
  static_assert(kGroupsPerVec <= 2 && kCols * kGroupsPerVec <= 8);
  const V16 k63 = hn::Set(d16, 63);
  V16 idx[kCols], coef[kCols], coef_hi[kCols];  // coef_hi: 128-bit only
  for (size_t i = 0; i < kCols; ++i) {
    idx[i] = hn::BitCast(d16, hn::Load(du8, kIdx.b[i]));
    coef[i] = hn::Load(d16, kCoef.c[i]);
    coef_hi[i] = coef[i];
    if constexpr (kLanes == 8) coef_hi[i] = hn::Load(d16, kCoef.c[i] + 8);
  }
  const auto values = [&](const V16* a, const V16* c) {
    V16 v = hn::Mul(c[0], a[0]);
    for (size_t i = 1; i < kCols; ++i) v = hn::Add(v, hn::Mul(c[i], a[i]));
    return v;
  };
  for (size_t g = 0; g < groups; g += kGroupsPerVec) {
    const size_t c = kCols * g;
    const int8_t* src = q + c;
    int8_t tail[8];
    if (c + 8 > K) {  // last activations: zero-padded copy
      for (size_t j = 0; j < 8; ++j) tail[j] = c + j < K ? q[c + j] : 0;
      src = tail;
    }
    V16 words;
    if constexpr (kLanes == 8) {
      words = hn::PromoteTo(d16, hn::LoadU(di8, src));
    } else {  // the 8 bytes in every 64-bit lane
      uint64_t eight;
      memcpy(&eight, src, 8);
      words = hn::PromoteTo(d16, hn::BitCast(di8, hn::Set(du64_half, eight)));
    }
    V16 a[kCols];
    for (size_t i = 0; i < kCols; ++i)
      a[i] = hn::TableLookupBytes(words, idx[i]);
    uint8_t* out = tables + kOut * g;
    if constexpr (kWithNegation && kLanes >= 16) {
      // lo = [lo(v) | lo(-v)], hi likewise, per group; on 512 bits the two
      // groups' 128-bit blocks are l0 l1 n0 n1 (lo) and h0 h1 m0 m1 (hi),
      // reordered to l0 n0 l1 n1 and h0 m0 h1 m1, then halves combined.
      const V16 v = values(a, coef);
      const V16 nv = hn::Neg(v);
      auto lo = hn::ConcatEven(du8, hn::BitCast(du8, hn::And(nv, k63)),
                               hn::BitCast(du8, hn::And(v, k63)));
      auto hi = hn::ConcatEven(du8, hn::BitCast(du8, hn::ShiftRight<6>(nv)),
                               hn::BitCast(du8, hn::ShiftRight<6>(v)));
      if constexpr (kGroupsPerVec == 2) {
        const hn::Repartition<uint64_t, decltype(d16)> du64;
        alignas(64) static constexpr uint64_t kOrder[8] = {0, 1, 4, 5,
                                                           2, 3, 6, 7};
        const auto order = hn::SetTableIndices(du64, kOrder);
        lo = hn::BitCast(
            du8, hn::TableLookupLanes(hn::BitCast(du64, lo), order));
        hi = hn::BitCast(
            du8, hn::TableLookupLanes(hn::BitCast(du64, hi), order));
        hn::StoreU(hn::ConcatLowerLower(du8, hi, lo), du8, out);
        hn::StoreU(hn::ConcatUpperUpper(du8, hi, lo), du8, out + kOut);
      } else {
        hn::StoreU(lo, du8, out);
        hn::StoreU(hi, du8, out + kHiAt);
      }
    } else if constexpr (kLanes >= 16) {
      const V16 v = values(a, coef);
      auto lo_hi = hn::ConcatEven(du8, hn::BitCast(du8, hn::ShiftRight<6>(v)),
                                  hn::BitCast(du8, hn::And(v, k63)));
      if constexpr (kGroupsPerVec == 2) {  // lo0 lo1 hi0 hi1 -> lo0 hi0 ..
        const hn::Repartition<uint64_t, decltype(d16)> du64;
        alignas(64) static constexpr uint64_t kOrder[8] = {0, 1, 4, 5,
                                                           2, 3, 6, 7};
        lo_hi = hn::BitCast(
            du8, hn::TableLookupLanes(hn::BitCast(du64, lo_hi),
                                      hn::SetTableIndices(du64, kOrder)));
      }
      hn::StoreU(lo_hi, du8, out);
    } else {
      const V16 v0 = values(a, coef), v1 = values(a, coef_hi);
      const auto store = [&](V16 w0, V16 w1, uint8_t* to) {
        hn::StoreU(hn::ConcatEven(du8, hn::BitCast(du8, hn::And(w1, k63)),
                                  hn::BitCast(du8, hn::And(w0, k63))),
                   du8, to);
        hn::StoreU(
            hn::ConcatEven(du8, hn::BitCast(du8, hn::ShiftRight<6>(w1)),
                           hn::BitCast(du8, hn::ShiftRight<6>(w0))),
            du8, to + kHiAt);
      };
      store(v0, v1, out);
      if constexpr (kWithNegation) store(hn::Neg(v0), hn::Neg(v1), out + 16);
    }
  }
#endif
}

// ------------------------------ Token tables (GEMM, N >= 2)
//
// The token-table loop: per group of kDigits activations (TL2: a triple, TL1:
// two pairs) and a tile of kVecTokens = 32 tokens, a table of 3^kDigits
// entries, entry s being the vector of the 32 tokens' int16 sums
// sum_i c_i * x_t[i] for the weights c with s = sum_i (c_i + 1) 3^(n-1-i);
// both signs are stored, so the TL2 sign bit needs no vector op. A row's
// packed indices pick an entry, and one 64-byte load plus one int16 add serve
// 32 tokens. The packed indices of a tile and K block are first expanded
// (SIMD, over rows) into uint16 element offsets into the block's tables, so
// the inner loop is a quarter of a 64-bit scalar load, one vector load and
// one add per lookup: at two 64-byte loads per cycle it is load-bound (a
// stand-alone copy of the loop runs at ~0.2 ns per lookup on Zen 5, with
// random or constant offsets alike; two vectors per offset, i.e. 64 tokens,
// did not help: 0.22 ns per vector).

// Tables of `groups` groups: tables[(g * kSlots + s) * 32 + t]. xt holds the
// 32 tokens of each of the groups' kDigits * groups columns. The 9 sums of
// the last two columns go to the middle block of 9 slots (first digits all
// 0), and every other block is that plus its first digits' sum, read back.
template <size_t kDigits>
HWY_INLINE void VecTables(const int16_t* HWY_RESTRICT xt, size_t groups,
                          int16_t* HWY_RESTRICT tables) {
  static_assert(kDigits == 3 || kDigits == 4);
  constexpr size_t kSlots = kDigits == 3 ? 27 : 81;
  constexpr size_t kMid = (kSlots / 9 - 1) / 2;  // block of first digits 0
  constexpr size_t T = kVecTokens;
  const hn::CappedTag<int16_t, kVecTokens> d;
  const size_t L = hn::Lanes(d);
  for (size_t g = 0; g < groups; ++g) {
    const int16_t* a = xt + g * kDigits * T;
    int16_t* out = tables + g * kSlots * T;
    for (size_t v = 0; v < T; v += L) {
      // The 9 sums c*x + e*y of a pair of columns at 3 * (c + 1) + e + 1,
      // stored from `to` on.
      const auto pair = [&](const int16_t* xy, int16_t* to) {
        const auto x = hn::Load(d, xy + v), y = hn::Load(d, xy + T + v);
        const auto nx = hn::Neg(x);
        hn::Store(hn::Sub(nx, y), d, to + v);
        hn::Store(nx, d, to + T + v);
        hn::Store(hn::Add(nx, y), d, to + 2 * T + v);
        hn::Store(hn::Neg(y), d, to + 3 * T + v);
        hn::Store(hn::Zero(d), d, to + 4 * T + v);
        hn::Store(y, d, to + 5 * T + v);
        hn::Store(hn::Sub(x, y), d, to + 6 * T + v);
        hn::Store(x, d, to + 7 * T + v);
        hn::Store(hn::Add(x, y), d, to + 8 * T + v);
      };
      int16_t* mid = out + kMid * 9 * T;
      pair(a + (kDigits - 2) * T, mid);
      if constexpr (kDigits == 3) {
        const auto a0 = hn::Load(d, a + v);
        for (size_t j = 0; j < 9; ++j) {
          const auto p = hn::Load(d, mid + j * T + v);
          hn::Store(hn::Sub(p, a0), d, out + j * T + v);
          hn::Store(hn::Add(p, a0), d, out + (18 + j) * T + v);
        }
      } else {
        // The first pair's sums go to block 0 (slots 0..8) first: block 0
        // is then rewritten last, from its own stored first-pair sum.
        pair(a, out);
        for (size_t k = 9; k-- > 0;) {
          if (k == kMid) continue;
          const auto f = hn::Load(d, out + k * T + v);
          for (size_t j = 0; j < 9; ++j) {
            const auto p = hn::Load(d, mid + j * T + v);
            hn::Store(hn::Add(p, f), d, out + (9 * k + j) * T + v);
          }
        }
      }
    }
  }
}

// Element offsets (g * kSlots + slot) * 32 into the tables for the 64 rows of
// one tile and `nblocks` consecutive packed blocks: offsets[g * 64 + r]. TL1
// (groups of 4 columns): the index byte of pairs 2p, 2p+1 (nibbles i0, i1) is
// group p, slot 9 * i0 + i1. TL2 (triples): slot 13 + v, from the 5-bit code
// (v = -|v| when bit 4 is set).
template <bool kSigned>
HWY_INLINE void VecOffsets(const uint8_t* HWY_RESTRICT blocks, size_t nblocks,
                           uint16_t* HWY_RESTRICT offsets) {
  constexpr size_t block_bytes = (kSigned ? 5 : 4) * kRows;
  constexpr size_t kSlots = kSigned ? 27 : 81;
  constexpr size_t kPerBlock = kSigned ? 8 : 4;  // groups per block
  const hn::CappedTag<uint16_t, kRows> d;
  const hn::Rebind<uint8_t, decltype(d)> d8;
  const size_t L = hn::Lanes(d);
  const auto k0F = hn::Set(d, 0x0F);
  for (size_t b = 0; b < nblocks; ++b) {
    const uint8_t* blk = blocks + b * block_bytes;
    for (size_t s = 0; s < kRows; s += L) {
      // base = the element offset of slot 0 of group g in the K block.
      const auto base = [&](size_t g) {
        return hn::Set(d, static_cast<uint16_t>((b * kPerBlock + g) * kSlots *
                                                kVecTokens));
      };
      uint16_t* out = offsets + b * kPerBlock * kRows + s;
      if constexpr (kSigned) {
        // The 5-bit code (tl2.h) of triple j in uint16 lanes: bits above
        // bit 4 are plane bits of other triples for j < 5, masked off below.
        // (No arrays of vectors: SVE vectors cannot be array elements.) The
        // planes are loaded once up front: the stores to `out` may alias
        // them (uint8_t), so loads inside the loop were repeated per triple.
        const auto plane = [&](size_t k) {
          return hn::PromoteTo(d, hn::LoadU(d8, blk + k * kRows + s));
        };
        const auto k08 = hn::Set(d, 0x08), k10 = hn::Set(d, 0x10);
        const auto k18 = hn::Set(d, 0x18);
        const auto p0 = plane(0), p1 = plane(1), p2 = plane(2);
        const auto p3 = plane(3), p4 = plane(4);
        const auto c5 = hn::Or(hn::ShiftRight<5>(p0),
                               hn::And(hn::ShiftRight<2>(p1), k18));
        const auto c6 = hn::Or(hn::ShiftRight<5>(p2),
                               hn::And(hn::ShiftRight<2>(p3), k18));
        const auto c7 = hn::Or(hn::Or(hn::ShiftRight<5>(p4),
                                      hn::And(hn::ShiftRight<4>(p1), k08)),
                               hn::And(hn::ShiftRight<3>(p3), k10));
        const auto code = [&](size_t j) {
          switch (j) {
            case 0: return p0;
            case 1: return p1;
            case 2: return p2;
            case 3: return p3;
            case 4: return p4;
            case 5: return c5;
            case 6: return c6;
            default: return c7;
          }
        };
        for (size_t j = 0; j < kTlGroupsPerBlock; ++j) {
          // 32 * |v| (code bits 3:0), then 32 * (13 +- |v|) by bit 4.
          const auto c = code(j);
          const auto mag32 = hn::ShiftLeft<5>(hn::And(c, k0F));
          const auto mid = hn::Add(base(j), hn::Set(d, 13 * kVecTokens));
          const auto neg = hn::TestBit(c, k10);
          hn::Store(
              hn::IfThenElse(neg, hn::Sub(mid, mag32), hn::Add(mid, mag32)), d,
              out + j * kRows);
        }
      } else {
        for (size_t p = 0; p < kTlGroupsPerBlock / 2; ++p) {
          const auto nib = hn::PromoteTo(d, hn::LoadU(d8, blk + p * kRows + s));
          const auto i0 = hn::And(nib, k0F);
          const auto slot = hn::Add(hn::Add(hn::ShiftLeft<3>(i0), i0),
                                    hn::ShiftRight<4>(nib));
          hn::Store(hn::Add(base(p), hn::ShiftLeft<5>(slot)), d,
                    out + p * kRows);
        }
      }
    }
  }
}

// acc32[i] += acc16[i], acc16[i] = 0 for i < n.
HWY_INLINE void VecWiden(int16_t* HWY_RESTRICT acc16,
                         int32_t* HWY_RESTRICT acc32, size_t n) {
  const hn::ScalableTag<int32_t> d32;
  const hn::Rebind<int16_t, decltype(d32)> d16;
  const size_t L = hn::Lanes(d32);
  for (size_t i = 0; i < n; i += L) {
    const auto w = hn::PromoteTo(d32, hn::Load(d16, acc16 + i));
    hn::Store(hn::Add(hn::Load(d32, acc32 + i), w), d32, acc32 + i);
    hn::Store(hn::Zero(d16), d16, acc16 + i);
  }
}

// acc[r * 32 + t] += the looked-up entries of row r's `groups` groups, for the
// 64 rows of a tile; with acc32, then acc32 += acc and acc = 0 (the widening,
// fused: a separate pass over the chunk's sums cost ~5%). 8 rows at a time
// (independent add chains), their 8 uint16 offsets read as two 64-bit words
// (one scalar load per lookup was the limit: tl2 6912x2560 N = 128 7.9 -> 6.9
// ms).
HWY_INLINE void VecAccumulate(const int16_t* HWY_RESTRICT tables,
                              const uint16_t* HWY_RESTRICT offsets,
                              size_t groups, int16_t* HWY_RESTRICT acc,
                              int32_t* HWY_RESTRICT acc32) {
  const hn::CappedTag<int16_t, kVecTokens> d;
  const size_t L = hn::Lanes(d);
  constexpr size_t T = kVecTokens;
  for (size_t r = 0; r < kRows; r += 8) {
    for (size_t v = 0; v < T; v += L) {
      int16_t* a = acc + r * T + v;
      const int16_t* tab = tables + v;
      auto s0 = hn::Load(d, a), s1 = hn::Load(d, a + T);
      auto s2 = hn::Load(d, a + 2 * T), s3 = hn::Load(d, a + 3 * T);
      auto s4 = hn::Load(d, a + 4 * T), s5 = hn::Load(d, a + 5 * T);
      auto s6 = hn::Load(d, a + 6 * T), s7 = hn::Load(d, a + 7 * T);
      const uint16_t* o = offsets + r;
      for (size_t g = 0; g < groups; ++g, o += kRows) {
        uint64_t w0, w1;
        memcpy(&w0, o, 8);
        memcpy(&w1, o + 4, 8);
        s0 = hn::Add(s0, hn::Load(d, tab + (w0 & 0xFFFF)));
        s1 = hn::Add(s1, hn::Load(d, tab + ((w0 >> 16) & 0xFFFF)));
        s2 = hn::Add(s2, hn::Load(d, tab + ((w0 >> 32) & 0xFFFF)));
        s3 = hn::Add(s3, hn::Load(d, tab + (w0 >> 48)));
        s4 = hn::Add(s4, hn::Load(d, tab + (w1 & 0xFFFF)));
        s5 = hn::Add(s5, hn::Load(d, tab + ((w1 >> 16) & 0xFFFF)));
        s6 = hn::Add(s6, hn::Load(d, tab + ((w1 >> 32) & 0xFFFF)));
        s7 = hn::Add(s7, hn::Load(d, tab + (w1 >> 48)));
      }
      hn::Store(s0, d, a);
      hn::Store(s1, d, a + T);
      hn::Store(s2, d, a + 2 * T);
      hn::Store(s3, d, a + 3 * T);
      hn::Store(s4, d, a + 4 * T);
      hn::Store(s5, d, a + 5 * T);
      hn::Store(s6, d, a + 6 * T);
      hn::Store(s7, d, a + 7 * T);
    }
    if (acc32) VecWiden(acc + r * T, acc32 + r * T, 8 * T);
  }
}

// The int32 sums of tiles [tile_begin, tile_end) x one tile of 32 tokens
// (LutVecJob): K blocks of kVecGroups(kCols) groups; per block, build its
// tables, then per tile expand the offsets and accumulate in int16; widen to
// int32 before more than kVecWidenGroups groups have been added.
template <size_t kCols, bool kSigned>
HWY_NOINLINE void LutVecRows(const LutVecJob& job) {
  constexpr size_t kGroups = kVecGroups(kCols);
  constexpr size_t kPerBlock = kVecGroupsPerBlock(kCols);
  constexpr size_t kBlocks = kGroups / kPerBlock;  // packed blocks
  static_assert(kTl2ChunkBlocks % kBlocks == 0);
  constexpr size_t block_bytes = (kSigned ? 5 : 4) * kRows;
  const size_t bpt = job.blocks_per_tile;
  const size_t tiles = job.tile_end - job.tile_begin;
  const size_t n = tiles * kRows * kVecTokens;
  memset(job.acc16, 0, n * sizeof(int16_t));
  memset(job.acc32, 0, n * sizeof(int32_t));
  size_t since_widen = 0;  // groups added to acc16 since the last widening
  for (size_t b0 = 0; b0 < bpt; b0 += kBlocks) {
    const size_t nb = HWY_MIN(kBlocks, bpt - b0);
    const size_t groups = nb * kPerBlock;
    // Widen after this block when the next one could overflow, and at the end.
    const size_t next = HWY_MIN(kBlocks, bpt - b0 - nb) * kPerBlock;
    since_widen += groups;
    const bool widen = next == 0 || since_widen + next > kVecWidenGroups(kCols);
    if (widen) since_widen = 0;
    VecTables<kVecDigits(kCols)>(
        job.xt + b0 * kTlGroupsPerBlock * kCols * kVecTokens, groups,
        job.tables);
    for (size_t i = 0; i < tiles; ++i) {
      const size_t tile = job.tile_begin + i;
      // nb <= kBlocks consecutive blocks: TL2's chunks (kTl2ChunkBlocks, a
      // multiple of kBlocks) keep them consecutive in memory too.
      const size_t index = kSigned ? Tl2BlockIndex(job.tiles, bpt, tile, b0)
                                   : tile * bpt + b0;
      VecOffsets<kSigned>(job.packed + index * block_bytes, nb, job.offsets);
      const size_t at = i * kRows * kVecTokens;
      VecAccumulate(job.tables, job.offsets, groups, job.acc16 + at,
                    widen ? job.acc32 + at : nullptr);
    }
  }
  // Dequantize in place (int32 -> float, same size): float(dot) / act_scale *
  // weight_scale, as DequantizeDot, so identical on every target.
  const hn::CappedTag<float, kVecTokens> df;
  const hn::RebindToSigned<decltype(df)> di;
  const size_t L = hn::Lanes(df);
  HWY_DASSERT(kVecTokens % L == 0);
  const auto ws = hn::Set(df, job.weight_scale);
  float* out = reinterpret_cast<float*>(job.acc32);
  for (size_t v = 0; v < kVecTokens; v += L) {
    const auto as = hn::Load(df, job.act_scale + v);
    for (size_t i = v; i < n; i += kVecTokens) {
      const auto dot = hn::ConvertTo(df, hn::Load(di, job.acc32 + i));
      hn::Store(hn::Mul(hn::Div(dot, as), ws), df, out + i);
    }
  }
}

}  // namespace lut
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#undef RSR_LUT_AVX3
#endif  // per-target include guard
