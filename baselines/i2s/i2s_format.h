// I2_S: bitnet.cpp's 2-bit ternary weight format (docs/algorithms.md §5), x86
// layout, as a trait of the row-packed format (baselines/rowpack: pack, the
// scalar dot, validation, the kernel class) plus the block packer/unpacker.
//
// Code c = w + 1 (-1 -> 0b00, 0 -> 0b01, +1 -> 0b10; 0b11 is never written).
// Each row of W (K weights) is cut into ceil(K / 128) blocks of 128
// consecutive codes; the last block is padded with the zero-weight code 0b01.
// In a file the rows follow each other without gaps (row stride = 32 bytes
// per block); in memory rows longer than 2 KiB are split into segments
// (baselines/rowpack/rowpack.h, Layout).
// One float scale per tensor (the Kernel's weight_scale()).
#pragma once

#include <cstddef>
#include <cstdint>

#include "baselines/rowpack/rowpack.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"

namespace rsr::i2s {

inline constexpr size_t kBlockCodes = 128;
inline constexpr size_t kBlockBytes = 32;
inline constexpr uint8_t kZeroCode = 0b01;  // code of weight 0 (padding)

// Bit order of one block (128 codes c_0 .. c_127 in 32 bytes):
//   byte j (0 <= j < 32) = c_j << 6 | c_{j+32} << 4 | c_{j+64} << 2 | c_{j+96}
// i.e. bits 7:6 hold code j, 5:4 code j+32, 3:2 code j+64, 1:0 code j+96.
// Shifting every byte right by 6, 4, 2, 0 and masking with 0b11 yields codes
// [0,32), [32,64), [64,96), [96,128): one SIMD shift+AND per 32 codes.
struct Block {
  uint8_t qs[kBlockBytes];
};
static_assert(sizeof(Block) == kBlockBytes, "I2_S block is 32 bytes");
static_assert(kBlockCodes == 4 * kBlockBytes, "4 codes per byte");

inline size_t BlocksPerRow(size_t cols) {
  return (cols + kBlockCodes - 1) / kBlockCodes;
}

// Packs n (1..128) weights in {-1,0,+1}; codes n..127 get kZeroCode.
void PackBlock(const int8_t* w, size_t n, Block& out);
// Writes the 128 weights c - 1 of a block (padding decodes to 0).
void UnpackBlock(const Block& block, int8_t* w);

// The SIMD kernels load whole vectors (up to 256 bytes on SVE); when a row's
// byte count is not a multiple of the vector, the last load of the last row
// reaches past it. The bytes read there meet zero activations.
inline constexpr size_t kReadSlack = 256;

// The trait of the shared row-packed format (baselines/rowpack/rowpack.h).
struct Format {
  static constexpr const char* kName = "i2s";
  static constexpr size_t kBlockCodes = i2s::kBlockCodes;
  static constexpr size_t kBlockBytes = i2s::kBlockBytes;
  static constexpr size_t kReadSlack = i2s::kReadSlack;
  static constexpr uint8_t kZeroCode = i2s::kZeroCode;
  using Block = i2s::Block;
  static void PackBlock(const int8_t* w, size_t n, Block& out) {
    i2s::PackBlock(w, n, out);
  }
  static uint8_t CodeAt(uint8_t byte, size_t group) {
    return static_cast<uint8_t>((byte >> (6 - 2 * group)) & 3);
  }
  // A code 0b11 has both bits of its pair set.
  static const char* ByteError(uint8_t b) {
    return (b & (b >> 1) & 0x55) ? "invalid code 0b11" : nullptr;
  }
};

// Prepared weights (rowpack::Weights): rows x BlocksPerRow(cols) blocks plus
// kReadSlack bytes.
using Weights = rowpack::Weights<Format>;

// y (tokens x rows) = dequantized W q (weight scale w_scale) through the SIMD
// kernel of the current Highway target. Bit-identical to ReferenceGemmI8 for
// every input (any q in [-128, 127], any K <= kMaxCols) and every thread
// count. Preconditions (checked by Kernel's public entry points):
// xq.cols == w.cols, xq.tokens >= 1; GemvI8 takes exactly one token.
void GemmI8(const Weights& w, float w_scale, const QuantizedActivations& xq,
            float* y, int threads);
void GemvI8(const Weights& w, float w_scale, const QuantizedActivations& xq,
            float* y, int threads);

}  // namespace rsr::i2s
