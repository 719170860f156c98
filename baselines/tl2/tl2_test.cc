// TL2 format (bit order, sign bits, neg_count, pack/unpack round trip,
// padding, tables), the SIMD table builder (== the scalar one) and the SIMD
// kernel on every supported target and several thread counts against
// ReferenceGemmI8, including tiny/tail shapes and the int16 accumulator worst
// cases (all weights +-1, all activations -128 or 127, K = 65537). Shared
// drivers: lut_test_util.h.
#include "baselines/tl2/tl2.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rsr/matrix.h"
#include "rsr/registry.h"
#include "tests/lut_test_util.h"

namespace rsr {
namespace {

TEST(Tl2Format, BitOrder) {
  // Row 1, columns 3..5 = (-1, +1, +1): triple 1, v = -9 + 3 + 1 = -5 ->
  // magnitude 5 in bits 7:4 of mag[0][1], sign bit 6 of sign[1]. Column 24
  // (next block, triple 0) = +1 -> v = 9, magnitude 9 in bits 3:0, no sign.
  std::vector<int8_t> v(2 * 25, 0);
  v[25 + 3] = -1;
  v[25 + 4] = 1;
  v[25 + 5] = 1;
  v[25 + 24] = 1;
  const Tl2Packed p = PackTl2(TernaryMatrix(2, 25, v));
  ASSERT_EQ(p.tiles, 1u);
  ASSERT_EQ(p.blocks_per_tile, 2u);
  EXPECT_EQ(p.blocks[0].mag[0][1], 0x50);
  EXPECT_EQ(p.blocks[0].sign[1], 0x40);
  EXPECT_EQ(p.blocks[0].sign[0], 0x00);
  EXPECT_EQ(p.blocks[1].mag[0][1], 0x09);
  EXPECT_EQ(p.blocks[1].sign[1], 0x00);
  EXPECT_EQ(p.neg_count[1], 1);
  EXPECT_EQ(p.neg_count[0], 0);
}

// Magnitudes are 0..13; padding rows and columns are all zero; neg_count
// matches the sign bits.
TEST(Tl2Format, RoundTripAndPadding) {
  lut_test::ExpectRoundTrip(
      PackTl2, UnpackTl2,
      [](const Tl2Packed& p, size_t m, size_t k, bool binary) {
        for (size_t tile = 0; tile < p.tiles; ++tile)
          for (size_t r = 0; r < kTlRows; ++r) {
            const size_t row = tile * kTlRows + r;
            int negs = 0;
            for (size_t b = 0; b < p.blocks_per_tile; ++b) {
              const Tl2Block& blk = p.blocks[tile * p.blocks_per_tile + b];
              for (size_t g = 0; g < 8; ++g) {
                const int mag = (blk.mag[g / 2][r] >> (4 * (g % 2))) & 0xF;
                ASSERT_LE(mag, 13);
                if (row >= m || 3 * (b * 8 + g) >= k) {
                  ASSERT_EQ(mag, 0);
                }
              }
              negs += __builtin_popcount(blk.sign[r]);
            }
            ASSERT_EQ(negs, row < m ? p.neg_count[row] : 0);  // padding: 0
            ASSERT_TRUE(!binary || negs == 0);
          }
        EXPECT_EQ(p.blocks.bytes(), p.tiles * p.blocks_per_tile * 320);
      });
}

TEST(Tl2Format, Table) {
  for (int a0 : {-128, -1, 0, 5, 127}) {
    for (int a1 : {-128, -7, 0, 1, 127}) {
      for (int a2 : {-128, 3, 127}) {
        uint8_t t[32];
        BuildTl2Table(static_cast<int8_t>(a0), static_cast<int8_t>(a1),
                      static_cast<int8_t>(a2), t);
        // Slot 9*c0 + 3*c1 + c2 holds c0*a0 + c1*a1 + c2*a2.
        for (int c0 = -1; c0 <= 1; ++c0)
          for (int c1 = -1; c1 <= 1; ++c1)
            for (int c2 = -1; c2 <= 1; ++c2) {
              const int slot = 9 * c0 + 3 * c1 + c2;
              if (slot < 0) continue;
              const int v = t[slot] + 64 * static_cast<int8_t>(t[16 + slot]);
              EXPECT_EQ(v, c0 * a0 + c1 * a1 + c2 * a2) << slot;
            }
        for (int i : {14, 15}) EXPECT_EQ(t[i] | t[16 + i], 0);
      }
    }
  }
}

class Tl2Kernel : public lut_test::TargetTest {};

TEST_F(Tl2Kernel, SimdTablesMatchScalar) {
  lut_test::ExpectSimdTablesMatchScalar<3>(
      [](const int8_t* a, uint8_t* t) { BuildTl2Table(a[0], a[1], a[2], t); },
      BuildTl2Tables);
}

TEST_F(Tl2Kernel, MatchesReferenceOnTinyShapes) {
  lut_test::ExpectMatchesReferenceOnTinyShapes("tl2");
}

// K = 65537: a zero-padded last triple.
TEST_F(Tl2Kernel, ExactAtAccumulatorWorstCase) {
  for (LutPath path : {LutPath::kPerToken, LutPath::kTokenTable})
    lut_test::ExpectExactAtAccumulatorWorstCase("tl2", 65536 + 1, 3, path);
}

// Just past the token tables' widening interval (and one K block further):
// int16 sums that one more group would overflow.
TEST_F(Tl2Kernel, TokenTablesExactAtWideningInterval) {
  constexpr size_t kCols = 3;
  for (size_t groups : {kVecWidenGroups(kCols), kVecWidenGroups(kCols) + 1,
                        kVecWidenGroups(kCols) + kVecGroups(kCols)}) {
    lut_test::ExpectExactAtAccumulatorWorstCase(
        "tl2", kVecDigits(kCols) * groups, 3, LutPath::kTokenTable);
  }
}

TEST_F(Tl2Kernel, TokenTablesMatchReference) {
  lut_test::ExpectTokenTablesMatchReference("tl2", 3, lut_test::QuickScale());
}

TEST_F(Tl2Kernel, PreparedBytesIsFiveBitsPerTriple) {
  auto k = CreateKernel("tl2");
  k->Prepare(RandomTernary(128, 4104, 1));  // 4104 = 171 blocks of 24
  EXPECT_EQ(k->PreparedBytes(), 2u * 171 * 320 + 128 * 4);
  EXPECT_NEAR(k->BitsPerWeight(), 5.0 / 3, 0.01);
}

}  // namespace
}  // namespace rsr
