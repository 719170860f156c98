// TL1 format (bit order, pack/unpack round trip, padding, tables), the SIMD
// table builder (== the scalar one) and the SIMD kernel on every supported
// target and several thread counts against ReferenceGemmI8, including
// tiny/tail shapes and the int16 accumulator worst cases (all weights +-1,
// all activations -128 or 127, K = 65536). Shared drivers: lut_test_util.h.
#include "baselines/tl1/tl1.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rsr/matrix.h"
#include "rsr/registry.h"
#include "tests/lut_test_util.h"

namespace rsr {
namespace {

TEST(Tl1Format, BitOrder) {
  // Row 1, columns 2,3 = (+1, -1): pair 1 -> index 3 - 1 + 4 = 6 in bits 7:4
  // of idx[0][1]; column 16 (next block, pair 0) = -1 -> index 1.
  std::vector<int8_t> v(2 * 17, 0);
  v[17 + 2] = 1;
  v[17 + 3] = -1;
  v[17 + 16] = -1;
  const Tl1Packed p = PackTl1(TernaryMatrix(2, 17, v));
  ASSERT_EQ(p.tiles, 1u);
  ASSERT_EQ(p.blocks_per_tile, 2u);
  EXPECT_EQ(p.blocks[0].idx[0][1], 0x64);
  EXPECT_EQ(p.blocks[0].idx[0][0], 0x44);
  EXPECT_EQ(p.blocks[1].idx[0][1], 0x41);
  EXPECT_EQ(p.blocks[0].idx[3][63], 0x44);  // padding row: index 4
}

// Every nibble is a valid index; padding (rows >= M, columns >= K) is index
// 4 = (0, 0).
TEST(Tl1Format, RoundTripAndPadding) {
  lut_test::ExpectRoundTrip(
      PackTl1, UnpackTl1, [](const Tl1Packed& p, size_t m, size_t k, bool) {
        for (size_t tile = 0; tile < p.tiles; ++tile)
          for (size_t b = 0; b < p.blocks_per_tile; ++b)
            for (size_t g = 0; g < 8; ++g)
              for (size_t r = 0; r < kTlRows; ++r) {
                const uint8_t byte =
                    p.blocks[tile * p.blocks_per_tile + b].idx[g / 2][r];
                const int index = (byte >> (4 * (g % 2))) & 0xF;
                ASSERT_LE(index, 8);
                const size_t row = tile * kTlRows + r, col = b * 16 + 2 * g;
                if (row >= m || col >= k) {
                  ASSERT_EQ(index, 4);
                }
              }
        EXPECT_EQ(p.blocks.bytes(), p.tiles * p.blocks_per_tile * 256);
      });
}

TEST(Tl1Format, Table) {
  for (int a0 : {-128, -1, 0, 5, 127}) {
    for (int a1 : {-128, -7, 0, 1, 127}) {
      uint8_t t[32];
      BuildTl1Table(static_cast<int8_t>(a0), static_cast<int8_t>(a1), t);
      for (int i = 0; i < 16; ++i) {
        const int v = t[i] + 64 * static_cast<int8_t>(t[16 + i]);
        const int want = i < 9 ? (i / 3 - 1) * a0 + (i % 3 - 1) * a1 : 0;
        EXPECT_EQ(v, want) << a0 << " " << a1 << " slot " << i;
      }
    }
  }
}

class Tl1Kernel : public lut_test::TargetTest {};

TEST_F(Tl1Kernel, SimdTablesMatchScalar) {
  lut_test::ExpectSimdTablesMatchScalar<2, kTlTableBytes>(
      [](const int8_t* a, uint8_t* t) { BuildTl1Table(a[0], a[1], t); },
      BuildTl1Tables);
}

TEST_F(Tl1Kernel, MatchesReferenceOnTinyShapes) {
  lut_test::ExpectMatchesReferenceOnTinyShapes("tl1");
}

TEST_F(Tl1Kernel, ExactAtAccumulatorWorstCase) {
  for (LutPath path : {LutPath::kPerToken, LutPath::kTokenTable})
    lut_test::ExpectExactAtAccumulatorWorstCase("tl1", 65536, 2, path);
}

TEST_F(Tl1Kernel, TokenTablesExactAtWideningInterval) {
  lut_test::ExpectTokenTablesExactAtWideningInterval("tl1", 2);
}

TEST_F(Tl1Kernel, TokenTablesMatchReference) {
  lut_test::ExpectTokenTablesMatchReference("tl1", 2, lut_test::QuickScale());
}

TEST_F(Tl1Kernel, PreparedBytesIsTwoBitsPerWeight) {
  auto k = CreateKernel("tl1");
  k->Prepare(RandomTernary(128, 4096, 1));
  EXPECT_EQ(k->PreparedBytes(), 128u * 4096 / 4);
  EXPECT_DOUBLE_EQ(k->BitsPerWeight(), 2.0);
}

}  // namespace
}  // namespace rsr
