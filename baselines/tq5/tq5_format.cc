#include "baselines/tq5/tq5_format.h"

#include "hwy/base.h"

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

}  // namespace rsr::tq5
