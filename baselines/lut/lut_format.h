// The shape both lookup-table formats (TL1, TL2) share, defined once: tiles of
// kTlRows rows, blocks of kTlGroupsPerBlock column groups, one 32-byte table
// per activation group; plus the arguments of the dispatched tile loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace rsr {

inline constexpr size_t kTlRows = 64;           // rows per tile (one zmm)
inline constexpr size_t kTlGroupsPerBlock = 8;  // column groups per block
inline constexpr size_t kTlTableBytes = 32;     // 16 low + 16 high bytes

// TL2's blocks are stored chunk-major (tl2.h): K chunks of kTl2ChunkBlocks
// blocks, each chunk holding every tile's blocks of that chunk in turn. The
// index of block b of `tile` in a matrix of `tiles` x `blocks_per_tile`.
inline constexpr size_t kTl2ChunkBlocks = 32;
constexpr size_t Tl2BlockIndex(size_t tiles, size_t blocks_per_tile,
                               size_t tile, size_t b) {
  const size_t c0 = b / kTl2ChunkBlocks * kTl2ChunkBlocks;
  const size_t len = blocks_per_tile - c0 < kTl2ChunkBlocks
                         ? blocks_per_tile - c0
                         : kTl2ChunkBlocks;
  return c0 * tiles + tile * len + (b - c0);
}
static_assert(Tl2BlockIndex(3, 70, 0, 0) == 0 &&
              Tl2BlockIndex(3, 70, 1, 0) == 32 &&
              Tl2BlockIndex(3, 70, 2, 33) == 96 + 2 * 32 + 1 &&
              Tl2BlockIndex(3, 70, 1, 65) == 192 + 6 + 1 &&
              Tl2BlockIndex(3, 70, 2, 69) == 209);

// One call of the dispatched tile loop (lut-inl.h LutTiles).
struct LutTileJob {
  const uint8_t* packed;
  size_t tiles;  // of the whole matrix (TL2's block order needs it)
  size_t blocks_per_tile;
  const uint8_t* tables;
  size_t tokens;
  size_t tile_begin, tile_end;
  int32_t* dots;
  size_t dot_stride;
  // Added to each row's sum by the loops that need it (TL2 without vpermb:
  // the count of negative triples); nullptr otherwise.
  const int32_t* row_bias;
};

// The token-table GEMM (lut-inl.h LutVecRows): one table per group of
// kVecDigits activations whose entries are vectors of kVecTokens tokens' int16
// sums, so one table load and one add serve kVecTokens tokens. A group is
// TL2's triple (27 entries) or two TL1 pairs (81 entries: one lookup per 4
// weights instead of 2, the lookups being the limit); the entry for weights
// c_0..c_{n-1} is at slot sum_i (c_i + 1) * 3^(n-1-i). Tables of kVecGroups
// groups (a K block) are built at a time, sized to stay in L1 (48 KiB on Zen
// 5): 8 x 81 or 16 x 27 entries of 64 bytes.
inline constexpr size_t kVecTokens = 32;  // tokens per table entry (64 bytes)
inline constexpr size_t kVecDigits(size_t cols) { return cols == 2 ? 4 : 3; }
inline constexpr size_t kVecSlots(size_t cols) {
  return cols == 2 ? 81 : 27;  // 3^kVecDigits
}
// Groups per packed block of 8 pairs or triples.
inline constexpr size_t kVecGroupsPerBlock(size_t cols) {
  return kTlGroupsPerBlock * cols / kVecDigits(cols);
}
inline constexpr size_t kVecGroups(size_t cols) { return cols == 2 ? 8 : 16; }
// int16 accumulators are widened to int32 before they can overflow: an entry
// is a sum of kVecDigits products of a weight in {-1, 0, 1} and an int8, so
// |entry| <= 128 * digits, and after n groups |sum| <= 128 * digits * n,
// which is <= 32767 for n <= 63 (TL1, 4 digits) or 85 (TL2, 3 digits).
inline constexpr size_t kVecWidenGroups(size_t cols) {
  return 32767 / (128 * kVecDigits(cols));
}

static_assert(kVecWidenGroups(2) == 63 && kVecWidenGroups(3) == 85);
static_assert(kVecGroups(2) % kVecGroupsPerBlock(2) == 0 &&
              kVecGroups(3) % kVecGroupsPerBlock(3) == 0);
static_assert(kVecGroups(2) <= kVecWidenGroups(2) &&
              kVecGroups(3) <= kVecWidenGroups(3));
// Element offsets (group * slots + slot) * kVecTokens fit in uint16.
static_assert(kVecGroups(2) * kVecSlots(2) * kVecTokens <= 65536 &&
              kVecGroups(3) * kVecSlots(3) * kVecTokens <= 65536);

// One call of the dispatched token-table loop (lut-inl.h LutVecRows): tiles
// [tile_begin, tile_end) and one tile of kVecTokens tokens.
struct LutVecJob {
  const uint8_t* packed;
  size_t tiles;  // of the whole matrix (TL2's block order needs it)
  size_t blocks_per_tile;
  // kVecTokens int16 activations per column (token-minor), blocks_per_tile *
  // 8 * kCols columns, zero past K and past the last token.
  const int16_t* xt;
  size_t tile_begin, tile_end;
  int16_t* tables;    // scratch: kVecGroups * kVecSlots * kVecTokens
  uint16_t* offsets;  // scratch: kVecGroups * kTlRows
  int16_t* acc16;     // scratch: (tile_end - tile_begin) * 64 * kVecTokens
  int32_t* acc32;     // scratch: the same, int32 (row-major, token-minor)
  // The result, written over acc32: float(dot) / act_scale[t] * weight_scale
  // (DequantizeDot) for every row of the tiles and every token of the tile.
  const float* act_scale;  // kVecTokens (1 past the last token)
  float weight_scale;
};

// Which GEMM path a call takes. kAuto is the measured rule (lut_kernel.h);
// tests force one path to cover both at every token count.
enum class LutPath { kAuto, kPerToken, kTokenTable };
inline std::atomic<LutPath> g_lut_path{LutPath::kAuto};
inline void SetLutPathForTest(LutPath path) { g_lut_path = path; }

// Balanced-ternary digit i (0 = most significant) of v written with n digits:
// TL2's v = 9*w0 + 3*w1 + w2 has the digits (w0, w1, w2).
constexpr int TernaryDigit(int v, size_t i, size_t n) {
  int d = 0;
  for (size_t k = n; k-- > i;) {
    d = (v % 3 + 4) % 3 - 1;  // v - d is a multiple of 3, d in {-1, 0, 1}
    v = (v - d) / 3;
  }
  return d;
}
static_assert(TernaryDigit(13, 0, 3) == 1 && TernaryDigit(13, 2, 3) == 1);
static_assert(TernaryDigit(2, 1, 3) == 1 && TernaryDigit(2, 2, 3) == -1);
static_assert(TernaryDigit(-5, 0, 3) == -1 && TernaryDigit(-5, 1, 3) == 1 &&
              TernaryDigit(-5, 2, 3) == 1);

}  // namespace rsr
