// TL1 baseline (bitnet.cpp's lookup-table format, docs/algorithms.md §5),
// written from the format description: 2 bits/weight, exact int8 activations.
//
// Weights are cut into pairs of columns (w0, w1) -> index 3*w0 + w1 + 4
// (0..8). Per activation pair (a0, a1) a 16-slot int16 table holds
// (-a0-a1, -a0, -a0+a1, -a1, 0, a1, a0-a1, a0, a0+a1, 0 x 7); it is stored as
// two 16-byte planes, v & 63 and v >> 6 (baselines/lut/lut-inl.h), so that one
// byte shuffle (pshufb / vpermb / tbl) per plane looks up a whole vector of
// rows at once.
//
// Layout: rows in tiles of kTlRows = 64; for each tile, the column pairs in
// blocks of 8 (Tl1Block), tile-major then block. Any M and K: M is padded
// with zero rows to a multiple of 64, K with zero columns to a multiple of 16
// (8 pairs). Padding uses index 4 (w = 0, 0), so it adds nothing.
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

// 64 rows x 8 column pairs (16 columns).
// Bit order: idx[p][r] bits 3:0 = index of pair 2p for row r of the tile,
// bits 7:4 = index of pair 2p+1 (pairs numbered inside the block; pair j
// covers block columns 2j, 2j+1). Index = 3*w0 + w1 + 4.
struct Tl1Block {
  uint8_t idx[kTlGroupsPerBlock / 2][kTlRows];
};
static_assert(sizeof(Tl1Block) == 256, "TL1 block is 256 bytes = 2 b/w");

struct Tl1Packed {
  size_t rows = 0, cols = 0;
  size_t tiles = 0;                // ceil(M / 64)
  size_t blocks_per_tile = 0;      // ceil(K / 16)
  AlignedBuffer<Tl1Block> blocks;  // tiles * blocks_per_tile, tile-major
};

// Scalar packer and unpacker (the round-trip pair; unpack returns M x K).
Tl1Packed PackTl1(const TernaryMatrix& w);
std::vector<int8_t> UnpackTl1(const Tl1Packed& p);

// One activation pair's table: lo[16] = v & 63, then hi[16] = int8(v >> 6).
void BuildTl1Table(int8_t a0, int8_t a1, uint8_t* table32);
// All tables of one token q[0..K) on the current SIMD target (what the kernel
// uses): ceil(K / 16) * 8 pairs of 32 bytes, activations past K taken as 0;
// byte-identical to BuildTl1Table per pair.
void BuildTl1Tables(const int8_t* q, size_t K, uint8_t* tables);

std::unique_ptr<Kernel> MakeTl1(const KernelOptions& options);

}  // namespace rsr
