// TL2 baseline (bitnet.cpp's lookup-table format, docs/algorithms.md §5),
// written from the format description: 5 bits per 3 weights (~1.67 b/w),
// exact int8 activations.
//
// Weights are cut into triples (w0, w1, w2) -> v = 9*w0 + 3*w1 + w2 in
// -13..13, stored as the 4-bit magnitude |v| plus a sign bit (v < 0). Per
// activation triple (a0, a1, a2) a 16-slot int16 table holds slot 0 = 0 and
// slots 1..13 = c0*a0 + c1*a1 + c2*a2 for the balanced-ternary digits of the
// slot (slot = 9*c0 + 3*c1 + c2), slots 14, 15 = 0; stored as the planes
// v & 63 and v >> 6 (baselines/lut/lut-inl.h). The sign is applied branch-free
// as an xor with m = 0/-1 (giving ~v = -v-1) plus a per-row count of negative
// triples (neg_count).
//
// Layout: rows in tiles of kTlRows = 64; for each tile, the triples in blocks
// of 8 (Tl2Block), tile-major then block. Any M and K: M is padded with zero
// rows to a multiple of 64, K with zero columns to a multiple of 24 (so the
// leftover 1 or 2 columns form a zero-padded triple).
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

// 64 rows x 8 column triples (24 columns).
// Bit order: mag[p][r] bits 3:0 = |v| of triple 2p for row r of the tile,
// bits 7:4 = |v| of triple 2p+1; sign[r] bit (7 - j) = 1 when v < 0 for
// triple j (j = 0..7, triple j covers block columns 3j..3j+2; first triple in
// the most significant bit). v = 9*w0 + 3*w1 + w2.
struct Tl2Block {
  uint8_t mag[kTlGroupsPerBlock / 2][kTlRows];
  uint8_t sign[kTlRows];
};
static_assert(sizeof(Tl2Block) == 320, "TL2 block is 320 bytes = 5/3 b/w");

struct Tl2Packed {
  size_t rows = 0, cols = 0;
  size_t tiles = 0;                  // ceil(M / 64)
  size_t blocks_per_tile = 0;        // ceil(K / 24)
  AlignedBuffer<Tl2Block> blocks;    // tiles * blocks_per_tile, tile-major
  AlignedBuffer<int32_t> neg_count;  // per row: triples with v < 0
};

// Scalar packer and unpacker (the round-trip pair; unpack returns M x K).
Tl2Packed PackTl2(const TernaryMatrix& w);
std::vector<int8_t> UnpackTl2(const Tl2Packed& p);

// One activation triple's table: lo[16] = v & 63, then hi[16] = int8(v >> 6).
void BuildTl2Table(int8_t a0, int8_t a1, int8_t a2, uint8_t* table32);
// All tables of one token q[0..K) on the current SIMD target (what the kernel
// uses): ceil(K / 24) * 8 triples of 32 bytes, activations past K taken as 0;
// byte-identical to BuildTl2Table per triple.
void BuildTl2Tables(const int8_t* q, size_t K, uint8_t* tables);

std::unique_ptr<Kernel> MakeTl2(const KernelOptions& options);

}  // namespace rsr
