// TQ5: five ternary weights per byte (3^5 = 243 <= 256, 1.6 bits/weight),
// the densest byte-aligned ternary packing, and its scalar slow twins (pack,
// unpack, dot, validation). docs/algorithms.md §8 describes it in prose.
//
// Code c = w + 1 (-1 -> 0, 0 -> 1, +1 -> 2), as in I2_S. Each row of W is cut
// into ceil(K / 320) blocks of 320 consecutive columns, 64 bytes per block;
// the last block is padded with the zero-weight code 1. In a file the rows
// follow each other without gaps (row stride 64 bytes per block); in memory
// rows longer than 2 KiB are split into segments (baselines/rowpack/
// rowpack.h, Layout), and every row segment stays 64-byte aligned. One float
// scale per tensor (the Kernel's weight_scale()).
//
// Bit order of one block (320 codes c_0 .. c_319 in 64 bytes):
//   byte j (0 <= j < 64) holds the 5 codes c_j, c_{j+64}, c_{j+128},
//   c_{j+192}, c_{j+256} ("trits" t0 .. t4 of the byte),
// so trit i of a 64-byte vector of bytes meets 64 consecutive activations
// [64 i, 64 i + 64) of the block: the digit vectors feed a dot-product
// instruction against the activations in their natural order.
//
// Byte value. A byte is one of 243 values 0..242 (243..255 never occur; a
// file holding one is corrupt). The map is not plain base 3: it is chosen so
// that t4 depends on the low 6 bits of the byte only (one 64-entry byte
// permute, `vpermb` on AVX-512 VBMI, yields t4), while t0..t3 come from one
// 256-entry lookup. Definition:
//   * the class of a byte v is Class(v & 63), with Class(b) = 0 for b in
//     [0, 18) or [51, 54), 1 for b in [18, 36) or [54, 57), 2 otherwise;
//     each class holds exactly 81 of the bytes 0..242 (b <= 50 occurs 4
//     times, b >= 51 three times: 18*4 + 3*3 = 81, and 15*4 + 7*3 = 81);
//   * t4 = the class of v;
//   * t0 + 3 t1 + 9 t2 + 27 t3 = the rank n (0..80) of v among the bytes of
//     its class in increasing order.
// Plain base 3 (t4 the most significant digit) needs a second 256-entry
// lookup for t4: 1.2x slower from cache (docs/design-notes.md, tq5).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "baselines/rowpack/rowpack.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"

namespace rsr::tq5 {

inline constexpr size_t kTritsPerByte = 5;
inline constexpr size_t kBlockBytes = 64;
inline constexpr size_t kBlockCodes = kTritsPerByte * kBlockBytes;  // 320
inline constexpr uint8_t kZeroCode = 1;          // code of weight 0 (padding)
inline constexpr unsigned kNumByteValues = 243;  // valid bytes: 0..242

struct Block {
  uint8_t qs[kBlockBytes];
};
static_assert(sizeof(Block) == kBlockBytes, "TQ5 block is 64 bytes");
static_assert(kBlockCodes == 320, "5 codes per byte");

inline size_t BlocksPerRow(size_t cols) {
  return (cols + kBlockCodes - 1) / kBlockCodes;
}

// The class of the low 6 bits of a byte (= its trit t4); see above.
constexpr uint8_t ClassOfLow6(unsigned b) {
  return static_cast<uint8_t>(b < 18   ? 0
                              : b < 36 ? 1
                              : b < 51 ? 2
                              : b < 54 ? 0
                              : b < 57 ? 1
                                       : 2);
}

// The encoding as tables (built at compile time from the definition above).
struct Tables {
  // encode[t0 + 3 t1 + 9 t2 + 27 t3 + 81 t4] = the byte.
  std::array<uint8_t, kNumByteValues> encode{};
  // fields[v] = t0 | t1 << 2 | t2 << 4 | t3 << 6 (bytes 243..255: all codes
  // 1; they never reach a kernel, Pack does not write them and loading
  // rejects them).
  std::array<uint8_t, 256> fields{};
  // trit4[v & 63] = t4.
  std::array<uint8_t, 64> trit4{};
};

constexpr Tables MakeTables() {
  Tables t;
  for (unsigned b = 0; b < 64; ++b) t.trit4[b] = ClassOfLow6(b);
  for (unsigned v = 0; v < 256; ++v) t.fields[v] = 0x55;
  for (unsigned c = 0; c < 3; ++c) {
    unsigned n = 0;
    for (unsigned v = 0; v < kNumByteValues; ++v) {
      if (ClassOfLow6(v & 63) != c) continue;
      t.encode[n + 81 * c] = static_cast<uint8_t>(v);
      t.fields[v] = static_cast<uint8_t>(n % 3 | (n / 3 % 3) << 2 |
                                         (n / 9 % 3) << 4 | (n / 27) << 6);
      ++n;
    }
  }
  return t;
}

inline constexpr Tables kTables = MakeTables();

// Code (0..2) of trit i (0..4) of byte v (v < 243).
constexpr uint8_t TritOf(uint8_t v, size_t i) {
  return i < 4 ? static_cast<uint8_t>((kTables.fields[v] >> (2 * i)) & 3)
               : kTables.trit4[v & 63];
}

// Packs n (1..320) weights in {-1,0,+1}; codes n..319 get kZeroCode.
void PackBlock(const int8_t* w, size_t n, Block& out);
// Writes the 320 weights c - 1 of a block (padding decodes to 0). Bytes
// must be < 243.
void UnpackBlock(const Block& block, int8_t* w);

// The trait of the shared row-packed format (baselines/rowpack/rowpack.h).
// The kernels load at most one 64-byte block per vector (wider SVE vectors
// are capped at 64 bytes), so no read slack is needed past the last row.
struct Format {
  static constexpr const char* kName = "tq5";
  static constexpr size_t kBlockCodes = tq5::kBlockCodes;
  static constexpr size_t kBlockBytes = tq5::kBlockBytes;
  static constexpr size_t kReadSlack = 0;
  static constexpr uint8_t kZeroCode = tq5::kZeroCode;
  using Block = tq5::Block;
  static void PackBlock(const int8_t* w, size_t n, Block& out) {
    tq5::PackBlock(w, n, out);
  }
  static uint8_t CodeAt(uint8_t byte, size_t group) {
    return TritOf(byte, group);
  }
  static const char* ByteError(uint8_t b) {
    return b >= kNumByteValues ? "byte value >= 243" : nullptr;
  }
};

// Prepared weights (rowpack::Weights): rows x BlocksPerRow(cols) blocks,
// 64-byte aligned.
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

}  // namespace rsr::tq5
