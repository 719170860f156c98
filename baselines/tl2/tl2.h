// TL2 baseline (bitnet.cpp's lookup-table format, docs/algorithms.md §5),
// written from the format description: 5 bits per 3 weights (~1.67 b/w),
// exact int8 activations.
//
// Weights are cut into triples (w0, w1, w2) -> v = 9*w0 + 3*w1 + w2 in
// -13..13, stored as a 5-bit code c = (v < 0 ? 16 : 0) | |v| (0..13 and
// 17..29; 14, 15, 16 and 30, 31 are invalid). Per activation triple
// (a0, a1, a2) a 64-byte table holds the 16 int16 values T(m) (slot 0 = 0,
// slots 1..13 = c0*a0 + c1*a1 + c2*a2 for the balanced-ternary digits of the
// slot m = 9*c0 + 3*c1 + c2, slots 14, 15 = 0) and their negations, as two
// 32-byte planes indexed by the code: lo[c] = v & 63 and hi[c] = int8(v >> 6)
// with v = T(c) for c < 16 and -T(c - 16) for c >= 16. On AVX3_DL one
// vpermb by the code thus applies the sign: no sign pass, no per-row
// correction. Targets without vpermb (16-entry byte shuffles) look up |v|
// and apply the sign as ~v = -v - 1 plus a per-row count of negative triples
// (neg_count), as layout 1 did everywhere (layout 1 kept the sign bits in a
// plane of their own).
//
// Layout: rows in tiles of kTlRows = 64, the triples of a tile in blocks of 8
// (Tl2Block, 24 columns). Blocks are stored chunk-major: K is cut into chunks
// of kTl2ChunkBlocks = 32 blocks (768 columns, the last one shorter), and a
// chunk holds tile 0's blocks of that chunk, then tile 1's, ...
// (Tl2BlockIndex, lut_format.h). The kernel walks K by chunk over all tiles,
// so a chunk's tables (32 x 8 x 64 bytes = 16 KiB per token) stay in L1 while
// the weights are still read as one sequential stream. Any M and K: M is
// padded with zero rows to a multiple of 64, K with zero columns to a
// multiple of 24 (so the leftover 1 or 2 columns form a zero-padded triple).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "baselines/lut/lut_format.h"
#include "kernels/core/aligned.h"
#include "rsr/kernel.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"

namespace rsr {

// Payload layout of saved tl2 files (Kernel::PayloadLayout): 2 since the
// 5-bit codes in chunk-major blocks; layout-1 files (magnitude nibbles + a
// sign plane, tile-major) are refused.
inline constexpr uint32_t kTl2PayloadLayout = 2;

// 64 rows x 8 column triples (24 columns), five 64-byte planes, byte r of a
// plane = row r of the tile. Triple j covers block columns 3j..3j+2.
// Bit order of the code c_j of row r:
//   triples 0..4: c_j = plane[j][r] bits 4:0
//   triple 5: bits 2:0 = plane[0] bits 7:5, bits 4:3 = plane[1] bits 6:5
//   triple 6: bits 2:0 = plane[2] bits 7:5, bits 4:3 = plane[3] bits 6:5
//   triple 7: bits 2:0 = plane[4] bits 7:5, bit 3 = plane[1] bit 7,
//             bit 4 = plane[3] bit 7
// (kTl2CodeBits spells it out bit by bit.) Triples 0..4 need no decode on
// AVX3_DL (vpermb ignores bits 7:6 and the table is stored twice, so bit 5
// is a don't-care); 5..7 take 11 shifts and bit selects (lut-inl.h).
struct Tl2Block {
  uint8_t plane[5][kTlRows];
};
static_assert(sizeof(Tl2Block) == 320, "TL2 block is 320 bytes = 5/3 b/w");

// Where bit i of triple j's code lives: kTl2CodeBits[j][i] = 8 * plane +
// bit.
inline constexpr uint8_t kTl2CodeBits[kTlGroupsPerBlock][5] = {
    {0, 1, 2, 3, 4},           {8, 9, 10, 11, 12},  {16, 17, 18, 19, 20},
    {24, 25, 26, 27, 28},      {32, 33, 34, 35, 36}, {5, 6, 7, 13, 14},
    {21, 22, 23, 29, 30},      {37, 38, 39, 15, 31}};

// The 5-bit code of triple j (0..7) of tile row r.
inline unsigned Tl2Code(const Tl2Block& blk, size_t r, size_t j) {
  unsigned c = 0;
  for (size_t i = 0; i < 5; ++i) {
    const unsigned at = kTl2CodeBits[j][i];
    c |= ((blk.plane[at / 8][r] >> (at % 8)) & 1u) << i;
  }
  return c;
}
// Ors code c (0..31) of triple j, row r into the block.
inline void Tl2SetCode(Tl2Block& blk, size_t r, size_t j, unsigned c) {
  for (size_t i = 0; i < 5; ++i) {
    const unsigned at = kTl2CodeBits[j][i];
    blk.plane[at / 8][r] |= static_cast<uint8_t>(((c >> i) & 1u) << (at % 8));
  }
}

struct Tl2Packed {
  size_t rows = 0, cols = 0;
  size_t tiles = 0;                // ceil(M / 64)
  size_t blocks_per_tile = 0;      // ceil(K / 24)
  AlignedBuffer<Tl2Block> blocks;  // tiles * blocks_per_tile, chunk-major
  // Per row (tiles * 64, padding rows 0): triples with v < 0. Only the
  // targets without vpermb use it:
  // they look up |v| and apply the sign as ~v = -v - 1 (lut-inl.h), then add
  // this count back.
  AlignedBuffer<int32_t> neg_count;
};

// Scalar packer and unpacker (the round-trip pair; unpack returns M x K).
Tl2Packed PackTl2(const TernaryMatrix& w);
std::vector<int8_t> UnpackTl2(const Tl2Packed& p);

// Bytes per activation triple's table.
inline constexpr size_t kTl2TableBytes = 64;
// One activation triple's table, indexed by the code c: lo[32] = v & 63, then
// hi[32] = int8(v >> 6), with v = T(c) for c < 16, -T(c - 16) for c >= 16.
void BuildTl2Table(int8_t a0, int8_t a1, int8_t a2, uint8_t* table64);
// All tables of one token q[0..K) on the current SIMD target (what the kernel
// uses): ceil(K / 24) * 8 triples of 64 bytes, activations past K taken as 0;
// byte-identical to BuildTl2Table per triple.
void BuildTl2Tables(const int8_t* q, size_t K, uint8_t* tables);

std::unique_ptr<Kernel> MakeTl2(const KernelOptions& options);

}  // namespace rsr
