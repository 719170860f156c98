#include "baselines/i2s/i2s_format.h"

#include <string>

#include "hwy/base.h"
#include "rsr/error.h"

namespace rsr::i2s {

void PackBlock(const int8_t* w, size_t n, Block& out) {
  HWY_DASSERT(n >= 1 && n <= kBlockCodes);
  uint8_t codes[kBlockCodes];
  for (size_t i = 0; i < kBlockCodes; ++i)
    codes[i] = i < n ? static_cast<uint8_t>(w[i] + 1) : kZeroCode;
  for (size_t j = 0; j < kBlockBytes; ++j) {
    out.qs[j] = static_cast<uint8_t>(codes[j] << 6 | codes[j + 32] << 4 |
                                     codes[j + 64] << 2 | codes[j + 96]);
  }
}

void UnpackBlock(const Block& block, int8_t* w) {
  for (size_t j = 0; j < kBlockBytes; ++j) {
    const uint8_t b = block.qs[j];
    w[j] = static_cast<int8_t>(((b >> 6) & 3) - 1);
    w[j + 32] = static_cast<int8_t>(((b >> 4) & 3) - 1);
    w[j + 64] = static_cast<int8_t>(((b >> 2) & 3) - 1);
    w[j + 96] = static_cast<int8_t>((b & 3) - 1);
  }
}

int32_t DotRowScalar(const Block* row, size_t cols, const int8_t* q) {
  int32_t raw = 0, sum = 0;
  for (size_t k = 0; k < cols; ++k) {
    const size_t j = k % kBlockCodes;
    const uint8_t byte = row[k / kBlockCodes].qs[j % kBlockBytes];
    const int shift = 6 - 2 * static_cast<int>(j / kBlockBytes);
    raw += ((byte >> shift) & 3) * q[k];
    sum += q[k];
  }
  return raw - sum;
}

Weights Pack(const TernaryMatrix& w) {
  Weights p;
  p.rows = w.rows();
  p.cols = w.cols();
  p.row_bytes = BlocksPerRow(p.cols) * kBlockBytes;
  p.bytes.Resize(p.rows * p.row_bytes + kReadSlack);
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
  const size_t valid = cols - (nb - 1) * kBlockCodes;  // 1..128
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* row = packed + r * row_bytes;
    for (size_t b = 0; b < row_bytes; ++b) {
      // A code 0b11 has both bits of its pair set.
      if (row[b] & (row[b] >> 1) & 0x55)
        throw Error("file",
                    "i2s: invalid code 0b11 in row " + std::to_string(r));
    }
    const uint8_t* last = row + (nb - 1) * kBlockBytes;
    for (size_t i = valid; i < kBlockCodes; ++i) {
      const int shift = 6 - 2 * static_cast<int>(i / kBlockBytes);
      if (((last[i % kBlockBytes] >> shift) & 3) != kZeroCode)
        throw Error("file",
                    "i2s: nonzero padding code in row " + std::to_string(r));
    }
  }
}

}  // namespace rsr::i2s
