#include "baselines/tq5/tq5_format.h"

#include <string>

#include "hwy/base.h"
#include "rsr/error.h"

namespace rsr::tq5 {

// The definition in tq5_format.h gives a bijection: every class holds 81
// bytes, and the three classes cover 0..242.
static_assert(kTables.encode[0] == 0 && kTables.encode[80] < 243 &&
                  kTables.encode[242] < 243,
              "TQ5 encoding table");

void PackBlock(const int8_t* w, size_t n, Block& out) {
  HWY_DASSERT(n >= 1 && n <= kBlockCodes);
  for (size_t j = 0; j < kBlockBytes; ++j) {
    unsigned index = 0, pow3 = 1;
    for (size_t i = 0; i < kTritsPerByte; ++i) {
      const size_t k = j + kBlockBytes * i;
      const unsigned code = k < n ? static_cast<unsigned>(w[k] + 1) : kZeroCode;
      index += code * pow3;
      pow3 *= 3;
    }
    out.qs[j] = kTables.encode[index];
  }
}

void UnpackBlock(const Block& block, int8_t* w) {
  for (size_t j = 0; j < kBlockBytes; ++j) {
    for (size_t i = 0; i < kTritsPerByte; ++i)
      w[j + kBlockBytes * i] = static_cast<int8_t>(TritOf(block.qs[j], i) - 1);
  }
}

int32_t DotRowScalar(const Block* row, size_t cols, const int8_t* q) {
  int32_t raw = 0, sum = 0;
  for (size_t k = 0; k < cols; ++k) {
    const size_t j = k % kBlockCodes;
    const uint8_t byte = row[k / kBlockCodes].qs[j % kBlockBytes];
    raw += TritOf(byte, j / kBlockBytes) * q[k];
    sum += q[k];
  }
  return raw - sum;
}

Weights Pack(const TernaryMatrix& w) {
  Weights p;
  p.rows = w.rows();
  p.cols = w.cols();
  p.row_bytes = BlocksPerRow(p.cols) * kBlockBytes;
  p.bytes.Resize(p.rows * p.row_bytes);
  const size_t nb = BlocksPerRow(p.cols);
  for (size_t r = 0; r < p.rows; ++r) {
    Block* out = reinterpret_cast<Block*>(p.bytes.data() + r * p.row_bytes);
    const int8_t* wr = w.row(r);
    for (size_t b = 0; b < nb; ++b) {
      const size_t k0 = b * kBlockCodes;
      const size_t n = p.cols - k0 < kBlockCodes ? p.cols - k0 : kBlockCodes;
      PackBlock(wr + k0, n, out[b]);
    }
  }
  return p;
}

void ValidatePacked(const uint8_t* packed, size_t rows, size_t cols) {
  const size_t nb = BlocksPerRow(cols);
  const size_t row_bytes = nb * kBlockBytes;
  // Codes of the last block at positions >= `valid` are padding.
  const size_t valid = cols - (nb - 1) * kBlockCodes;  // 1..320
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* row = packed + r * row_bytes;
    for (size_t b = 0; b < row_bytes; ++b) {
      if (row[b] >= kNumByteValues)
        throw Error("file", "tq5: byte " + std::to_string(row[b]) +
                                " (>= 243) in row " + std::to_string(r));
    }
    const uint8_t* last = row + (nb - 1) * kBlockBytes;
    for (size_t i = valid; i < kBlockCodes; ++i) {
      if (TritOf(last[i % kBlockBytes], i / kBlockBytes) != kZeroCode)
        throw Error("file",
                    "tq5: nonzero padding code in row " + std::to_string(r));
    }
  }
}

}  // namespace rsr::tq5
