#include "baselines/i2s/i2s_format.h"

#include "hwy/base.h"

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

}  // namespace rsr::i2s
