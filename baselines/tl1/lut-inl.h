// Per-target SIMD body shared by TL1 and TL2 (included once per Highway target
// by tl1.cc and tl2.cc through foreach_target.h).
//
// Both formats store, per tile of 64 rows and block of 8 column groups, four
// 64-byte planes of 4-bit table indices (byte r = row r, low nibble = even
// group, high nibble = odd group); TL2 adds a 64-byte sign plane (byte r =
// the 8 groups' sign bits of row r, first group in bit 7).
//
// Per group and vector of N rows (N = 64 on AVX-512, 32 on AVX2, 16 on
// SSE4/NEON; narrower targets make 64/N passes over the tile):
//   lo = TableLookupBytes(table_lo, idx), hi = TableLookupBytes(table_hi, idx)
//   (TL2) m = 0 or -1 per row from the sign plane; lo ^= m, hi ^= m, i.e. the
//         int16 value becomes ~v = -v - 1; the +1 per negative group is a
//         per-row constant added at the end (neg_count)
//   acc16 += ZipLower/ZipUpper(lo, hi)     (bytes -> int16 values)
// int16 accumulators are widened to int32 every 64 groups: |table entry| is at
// most 2*128 = 256 (TL1) or 3*128 + 1 = 385 (TL2, with the ~), and
// 64 * 385 = 24640 < 32767, so every int16 partial sum is exact.
//
// What limits it (AVX3_DL, Zen 4 class, 1 thread): the vector ALU. Per block
// of 8 groups x 64 rows TL2 issues ~60 zmm ALU ops (16 vpermb, 8 vptestmb,
// 16 masked vpsubb, 16 vpaddb, nibble shifts and int16 flushes) and 25 loads;
// at ~1.8 ns per group x 64 rows (4096^2, L3-resident) that is ~1.6 ALU ops
// per cycle at 2.6 GHz, near the 2 zmm ops per cycle issue limit. Removing
// the sign ops (a wrong-answer timing experiment) took 4096^2 from 0.160 to
// 0.127 ms, but 16384^2 (DRAM) only from ~2.9 to ~2.8 ms.
//
// The lane order of ZipLower/ZipUpper differs between targets (per 128-bit
// block on x86/NEON, whole vector on SVE); instead of baking one order into
// the packed format, each call probes it by zipping Iota with zero and
// scatters the int32 sums back to rows with that permutation.

#if defined(RSR_BASELINES_TL1_LUT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_BASELINES_TL1_LUT_INL_H_
#undef RSR_BASELINES_TL1_LUT_INL_H_
#else
#define RSR_BASELINES_TL1_LUT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace lut {
namespace hn = hwy::HWY_NAMESPACE;

inline constexpr size_t kRows = 64;            // rows per tile
inline constexpr size_t kGroupsPerBlock = 8;   // groups per block
inline constexpr size_t kTable = 32;           // bytes per group table
inline constexpr size_t kWidenBlocks = 8;      // widen every 64 groups

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

// Tiles [tile_begin, tile_end) for `tokens` tokens. `packed` holds
// blocks_per_tile blocks of `block_bytes` per tile (tile-major); with kSigned
// the sign plane follows the four index planes inside each block. `tables`
// holds per token blocks_per_tile*8 group tables of 32 bytes. Writes the raw
// int32 sums (before the TL2 neg_count correction) to
// dots[t * dot_stride + row] for every row of the tiles (padding rows too).
template <bool kSigned>
HWY_NOINLINE void LutTiles(const uint8_t* HWY_RESTRICT packed,
                           size_t block_bytes, size_t blocks_per_tile,
                           const uint8_t* HWY_RESTRICT tables, size_t tokens,
                           size_t tile_begin, size_t tile_end,
                           int32_t* HWY_RESTRICT dots, size_t dot_stride) {
  const hn::CappedTag<uint8_t, kRows> du8;
  const hn::RebindToSigned<decltype(du8)> di8;
  const hn::RepartitionToWide<decltype(du8)> du16;
  const hn::RebindToSigned<decltype(du16)> di16;
  const hn::Half<decltype(di16)> dh16;
  const hn::Rebind<int32_t, decltype(dh16)> di32;
  const size_t N = hn::Lanes(du8);
  const size_t N32 = hn::Lanes(di32);
  HWY_DASSERT(kRows % N == 0 && N32 * 4 == N);

  HWY_ALIGN int32_t sums[kRows];
  const auto k0F = hn::Set(du8, 0x0F);
  const auto k3F = hn::Set(du8, 0x3F);
  const auto kFF = hn::Set(du8, 0xFF);
  const auto kLow = hn::Set(du16, 0x00FF);
  const auto kHigh = hn::Set(du16, 0xFF00);
  const size_t groups = blocks_per_tile * kGroupsPerBlock;
  (void)k0F;
  (void)k3F;
  (void)kFF;

  // Software prefetch 16 KiB ahead (into L2) during the first pass over a
  // tile: the tile is one sequential stream and the hardware prefetchers
  // stop at 4 KiB pages (harness/bandwidth.cc). AVX3_DL, 1 thread, idle,
  // min ms at 16384^2, none / 4 / 8 / 16 KiB ahead: tl2 4.28 / 2.85-3.01 /
  // 2.60-2.74 / 2.64-2.66, tl1 5.06 / 3.33-3.48 / 3.17-3.31 / 3.07-3.16;
  // from cache (2560^2) no change.
  constexpr size_t kAhead = 16384;
  const uint8_t* const w_end = packed + tile_end * blocks_per_tile * block_bytes;
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
                __builtin_prefetch(blk + kAhead + l, 0, 2);
            }
            const uint8_t* tab = tab_token + b * kGroupsPerBlock * kTable;
            auto sign = hn::Zero(di8);
            if (kSigned) sign = hn::BitCast(di8, hn::Load(du8, blk + 4 * kRows + s));
            auto lo_acc = hn::Zero(du8);  // u8 sum of <= 4 low parts
            for (size_t p = 0; p < kGroupsPerBlock / 2; ++p) {
              const auto v = hn::Load(du8, blk + p * kRows + s);
#if HWY_TARGET == HWY_AVX3_DL
              const auto idx_even = v;
              const auto idx_odd = hn::BitCast(
                  du8, hn::ShiftRight<4>(hn::BitCast(du16, v)));
#else
              const auto idx_even = hn::And(v, k0F);
              const auto idx_odd = hn::ShiftRight<4>(v);
#endif
              for (int h = 0; h < 2; ++h) {
                const auto idx = h == 0 ? idx_even : idx_odd;
                const uint8_t* tg = tab + (2 * p + h) * kTable;
                auto lo = Lookup(du8, hn::LoadDup128(du8, tg), idx);
                auto hi = Lookup(du8, hn::LoadDup128(du8, tg + 16), idx);
                if (kSigned) {
#if RSR_LUT_AVX3
                  // Sign bit of this group straight into a mask register,
                  // then lo = 63 - lo, hi = 255 - hi under the mask.
                  const __mmask64 k = _mm512_test_epi8_mask(
                      sign.raw, _mm512_set1_epi8(static_cast<char>(
                                    0x80 >> (2 * p + h))));
                  lo.raw = _mm512_mask_sub_epi8(lo.raw, k, k3F.raw, lo.raw);
                  hi.raw = _mm512_mask_sub_epi8(hi.raw, k, kFF.raw, hi.raw);
#else
                  const auto m = hn::BitCast(du8, hn::BroadcastSignBit(sign));
                  sign = hn::Add(sign, sign);
                  lo = hn::Xor(lo, hn::And(m, k3F));
                  hi = hn::Xor(hi, m);
#endif
                }
                lo_acc = hn::Add(lo_acc, lo);
                hi_acc = hn::Add(hi_acc, hi);
              }
              if (p % 2 == 1) {  // 4 low parts (<= 4 * 63) -> int16
                const auto l16 = hn::BitCast(du16, lo_acc);
                acc_even = hn::Add(acc_even, hn::And(l16, kLow));
                acc_odd = hn::Add(acc_odd, hn::ShiftRight<8>(l16));
                lo_acc = hn::Zero(du8);
              }
            }
            if (b % 2 == 1 || b + 1 == b1) {  // <= 16 high parts -> int16
              // value = low + 64 * high; (high << 8) >> 2 in int16 lanes.
              const auto h16 = hn::BitCast(di16, hi_acc);
              const auto he = hn::ShiftRight<2>(hn::ShiftLeft<8>(h16));
              const auto ho = hn::ShiftRight<2>(
                  hn::And(h16, hn::BitCast(di16, kHigh)));
              acc_even = hn::Add(acc_even, hn::BitCast(du16, he));
              acc_odd = hn::Add(acc_odd, hn::BitCast(du16, ho));
              hi_acc = hn::Zero(du8);
            }
          }
          const auto se = hn::BitCast(di16, acc_even);
          const auto so = hn::BitCast(di16, acc_odd);
          a32_0 = hn::Add(a32_0, hn::PromoteTo(di32, hn::LowerHalf(dh16, se)));
          a32_1 = hn::Add(a32_1, hn::PromoteTo(di32, hn::UpperHalf(dh16, se)));
          a32_2 = hn::Add(a32_2, hn::PromoteTo(di32, hn::LowerHalf(dh16, so)));
          a32_3 = hn::Add(a32_3, hn::PromoteTo(di32, hn::UpperHalf(dh16, so)));
        }
        hn::Store(a32_0, di32, sums);
        hn::Store(a32_1, di32, sums + N32);
        hn::Store(a32_2, di32, sums + 2 * N32);
        hn::Store(a32_3, di32, sums + 3 * N32);
        for (size_t i = 0; i < N / 2; ++i) {
          dot_row[s + 2 * i] = sums[i];
          dot_row[s + 2 * i + 1] = sums[N / 2 + i];
        }
      }
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
