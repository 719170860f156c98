// TL2 format (5-bit codes, bit order of the spread codes, pack/unpack round
// trip, padding, tables), the SIMD table builder (== the scalar one) and the
// SIMD kernel on every supported target and several thread counts against
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
  // code 16 | 5 = 21 in bits 4:0 of plane 1. Column 24 (next block, triple
  // 0) = +1 -> v = 9, code 9 in bits 4:0 of plane 0.
  std::vector<int8_t> v(2 * 25, 0);
  v[25 + 3] = -1;
  v[25 + 4] = 1;
  v[25 + 5] = 1;
  v[25 + 24] = 1;
  const Tl2Packed p = PackTl2(TernaryMatrix(2, 25, v));
  ASSERT_EQ(p.tiles, 1u);
  ASSERT_EQ(p.blocks_per_tile, 2u);
  EXPECT_EQ(p.blocks[0].plane[1][1], 21);
  EXPECT_EQ(p.blocks[0].plane[0][1], 0);
  EXPECT_EQ(p.blocks[0].plane[1][0], 0);
  EXPECT_EQ(p.blocks[1].plane[0][1], 9);
}

// The spread codes of triples 5, 6, 7, bit by bit as tl2.h writes them.
TEST(Tl2Format, SpreadCodeBits) {
  // code -> v: 0..13 -> v, 17..29 -> -(code - 16).
  const auto weights = [](int code, int8_t* w) {
    const int v = code & 16 ? -(code & 15) : code;
    for (size_t i = 0; i < 3; ++i)
      w[i] = static_cast<int8_t>(TernaryDigit(v, i, 3));
  };
  struct Case {
    size_t triple;
    int code;
    uint8_t planes[5];  // row 0's byte of planes 0..4
  };
  // c5 = 0b11101 (-13): P0 7:5 = 101, P1 6:5 = 11.
  // c6 = 0b10110 (-6): P2 7:5 = 110, P3 6:5 = 10.
  // c7 = 0b01011 (11): P4 7:5 = 011, P1 bit 7 = 1, P3 bit 7 = 0.
  // c7 = 0b10011 (-3): P4 7:5 = 011, P1 bit 7 = 0, P3 bit 7 = 1.
  const Case cases[] = {{5, 29, {0xA0, 0x60, 0, 0, 0}},
                        {6, 22, {0, 0, 0xC0, 0x40, 0}},
                        {7, 11, {0, 0x80, 0, 0, 0x60}},
                        {7, 19, {0, 0, 0, 0x80, 0x60}}};
  for (const Case& c : cases) {
    std::vector<int8_t> w(24, 0);
    weights(c.code, w.data() + 3 * c.triple);
    const Tl2Packed p = PackTl2(TernaryMatrix(1, 24, w));
    for (size_t k = 0; k < 5; ++k)
      EXPECT_EQ(p.blocks[0].plane[k][0], c.planes[k])
          << "triple " << c.triple << " plane " << k;
    EXPECT_EQ(Tl2Code(p.blocks[0], 0, c.triple), unsigned(c.code));
    EXPECT_EQ(UnpackTl2(p), w);
  }
  // Every plane bit belongs to exactly one code bit.
  uint64_t used = 0;
  for (const auto& triple : kTl2CodeBits)
    for (uint8_t at : triple) {
      EXPECT_EQ((used >> at) & 1, 0u) << int(at);
      used |= uint64_t{1} << at;
    }
  EXPECT_EQ(used, (uint64_t{1} << 40) - 1);
}

// Codes are 0..13 or 17..29; padding rows and columns are all zero.
TEST(Tl2Format, RoundTripAndPadding) {
  lut_test::ExpectRoundTrip(
      PackTl2, UnpackTl2,
      [](const Tl2Packed& p, size_t m, size_t k, bool binary) {
        for (size_t tile = 0; tile < p.tiles; ++tile)
          for (size_t r = 0; r < kTlRows; ++r) {
            const size_t row = tile * kTlRows + r;
            for (size_t b = 0; b < p.blocks_per_tile; ++b) {
              const Tl2Block& blk =
                  p.blocks[Tl2BlockIndex(p.tiles, p.blocks_per_tile, tile, b)];
              for (size_t g = 0; g < 8; ++g) {
                const unsigned c = Tl2Code(blk, r, g);
                ASSERT_LE(c & 15, 13u);
                ASSERT_NE(c, 16u);
                if (row >= m || 3 * (b * 8 + g) >= k) {
                  ASSERT_EQ(c, 0u);
                }
                ASSERT_TRUE(!binary || c < 16);
              }
            }
          }
        EXPECT_EQ(p.blocks.bytes(), p.tiles * p.blocks_per_tile * 320);
      });
}

TEST(Tl2Format, Table) {
  for (int a0 : {-128, -1, 0, 5, 127}) {
    for (int a1 : {-128, -7, 0, 1, 127}) {
      for (int a2 : {-128, 3, 127}) {
        uint8_t t[kTl2TableBytes];
        BuildTl2Table(static_cast<int8_t>(a0), static_cast<int8_t>(a1),
                      static_cast<int8_t>(a2), t);
        // Code c = |slot| | (slot < 0 ? 16 : 0) for slot 9*c0 + 3*c1 + c2
        // holds c0*a0 + c1*a1 + c2*a2.
        for (int c0 = -1; c0 <= 1; ++c0)
          for (int c1 = -1; c1 <= 1; ++c1)
            for (int c2 = -1; c2 <= 1; ++c2) {
              const int slot = 9 * c0 + 3 * c1 + c2;
              const int code = slot < 0 ? 16 - slot : slot;
              const int v = t[code] + 64 * static_cast<int8_t>(t[32 + code]);
              EXPECT_EQ(v, c0 * a0 + c1 * a1 + c2 * a2) << slot;
            }
        for (int i : {14, 15, 16, 30, 31}) EXPECT_EQ(t[i] | t[32 + i], 0);
      }
    }
  }
}

class Tl2Kernel : public lut_test::TargetTest {};

TEST_F(Tl2Kernel, SimdTablesMatchScalar) {
  lut_test::ExpectSimdTablesMatchScalar<3, kTl2TableBytes>(
      [](const int8_t* a, uint8_t* t) { BuildTl2Table(a[0], a[1], a[2], t); },
      BuildTl2Tables);
}

TEST_F(Tl2Kernel, MatchesReferenceOnTinyShapes) {
  lut_test::ExpectMatchesReferenceOnTinyShapes("tl2");
}

// The chunk-major block order (kTl2ChunkBlocks = 32 blocks = 768 columns):
// K around one, two and three chunks with a short last chunk, several tiles
// split over threads, per-token and token-table paths.
TEST_F(Tl2Kernel, MatchesReferenceAcrossChunks) {
  lut_test::ExpectMatchesReferenceOnShapes(
      "tl2", {65, 200}, {767, 768, 769, 1560, 2305}, {1, 3, 33}, {1, 2, 3},
      /*binary=*/false);
}

// K = 65537: a zero-padded last triple.
TEST_F(Tl2Kernel, ExactAtAccumulatorWorstCase) {
  for (LutPath path : {LutPath::kPerToken, LutPath::kTokenTable})
    lut_test::ExpectExactAtAccumulatorWorstCase("tl2", 65536 + 1, 3, path);
}

TEST_F(Tl2Kernel, TokenTablesExactAtWideningInterval) {
  lut_test::ExpectTokenTablesExactAtWideningInterval("tl2", 3);
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
