// TL2 format (bit order, sign bits, neg_count, pack/unpack round trip, padding, tables) and the
// SIMD kernel on every supported target and several thread counts against
// ReferenceGemmI8, including tiny/tail shapes and the int16 accumulator worst
// cases (all weights +-1, all activations -128 or 127, K = 65536).
#include "baselines/tl2/tl2.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"
#include "rsr/reference.h"
#include "rsr/registry.h"
#include "rsr/targets.h"

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

TEST(Tl2Format, RoundTripAndPadding) {
  const size_t shapes[][2] = {{1, 1},  {1, 2},   {5, 7},  {17, 33},
                              {64, 24}, {65, 25}, {130, 49}, {3, 1000}};
  for (const auto& s : shapes) {
    for (int binary = 0; binary < 2; ++binary) {
      const TernaryMatrix w = binary ? RandomBinary(s[0], s[1], s[0] + s[1])
                                     : RandomTernary(s[0], s[1], s[0] * s[1]);
      const Tl2Packed p = PackTl2(w);
      const std::vector<int8_t> back = UnpackTl2(p);
      ASSERT_EQ(back.size(), w.values().size());
      for (size_t i = 0; i < back.size(); ++i)
        ASSERT_EQ(back[i], w.values()[i]) << s[0] << "x" << s[1] << " i=" << i;
      // Magnitudes are 0..13; padding rows are all zero; neg_count matches
      // the sign bits.
      for (size_t tile = 0; tile < p.tiles; ++tile)
        for (size_t r = 0; r < kTlRows; ++r) {
          const size_t row = tile * kTlRows + r;
          int negs = 0;
          for (size_t b = 0; b < p.blocks_per_tile; ++b) {
            const Tl2Block& blk = p.blocks[tile * p.blocks_per_tile + b];
            for (size_t g = 0; g < 8; ++g) {
              const int mag = (blk.mag[g / 2][r] >> (4 * (g % 2))) & 0xF;
              ASSERT_LE(mag, 13);
              if (row >= s[0]) {
                ASSERT_EQ(mag, 0);
              }
              if (3 * (b * 8 + g) >= s[1]) {
                ASSERT_EQ(mag, 0);
              }
            }
            negs += __builtin_popcount(blk.sign[r]);
            if (row >= s[0]) {
                ASSERT_EQ(blk.sign[r], 0);
              }
          }
          if (row < s[0]) {
                ASSERT_EQ(negs, p.neg_count[row]);
              }
          if (binary) {
                ASSERT_EQ(negs, 0);
              }
        }
      EXPECT_EQ(p.blocks.bytes(), p.tiles * p.blocks_per_tile * 320);
    }
  }
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

KernelOptions Threads(int threads) {
  KernelOptions o;
  o.threads = threads;
  return o;
}

class Tl2Kernel : public ::testing::Test {
 protected:
  void TearDown() override { SetTargetBits(0); }
};

TEST_F(Tl2Kernel, MatchesReferenceOnTinyShapes) {
  for (const TargetInfo& target : SupportedTargets()) {
    SetTargetBits(target.bits);
    for (int threads : {1, 3}) {
      auto k = CreateKernel("tl2", Threads(threads));
      for (size_t m : {1, 2, 63, 64, 65, 130}) {
        for (size_t kk : {1, 2, 3, 15, 16, 17, 33, 100}) {
          for (int binary = 0; binary < 2; ++binary) {
            const uint64_t seed = m * 1000 + kk * 10 + binary;
            const TernaryMatrix w = binary ? RandomBinary(m, kk, seed, 0.5, 0.5f)
                                           : RandomTernary(m, kk, seed, 1.0 / 3, 0.5f);
            k->Prepare(w);
            for (size_t tokens : {1, 3, 9}) {
              const auto x = RandomActivations(tokens * kk, seed + tokens);
              std::vector<float> y(tokens * m), ref(tokens * m);
              k->Gemm(x, tokens, y);
              ReferenceGemmI8(w, QuantizeActivations(x, kk, tokens), ref);
              ASSERT_EQ(y, ref) << target.name << " threads=" << threads << " "
                                << m << "x" << kk << " tokens=" << tokens
                                << " binary=" << binary;
            }
          }
        }
      }
    }
  }
}

TEST_F(Tl2Kernel, ExactAtAccumulatorWorstCase) {
  constexpr size_t kM = 65, kK = 65536 + 1;
  for (int wv : {1, -1}) {
    const TernaryMatrix w = ConstantMatrix(kM, kK, static_cast<int8_t>(wv));
    for (int av : {-128, 127}) {
      QuantizedActivations xq;
      xq.cols = kK;
      xq.tokens = 2;
      xq.q.assign(2 * kK, static_cast<int8_t>(av));
      for (size_t i = 0; i < kK; i += 3) xq.q[kK + i] = -128;  // token 1: mixed
      xq.scale = {1.0f, 1.0f};
      xq.sum = {0, 0};
      std::vector<float> ref(2 * kM);
      ReferenceGemmI8(w, xq, ref);
      EXPECT_EQ(ref[0], static_cast<float>(wv * av * static_cast<int64_t>(kK)));
      for (const TargetInfo& target : SupportedTargets()) {
        SetTargetBits(target.bits);
        for (int threads : {1, 2}) {
          auto k = CreateKernel("tl2", Threads(threads));
          k->Prepare(w);
          std::vector<float> y(2 * kM);
          Tl2GemmI8ForTest(*k, xq, y.data());
          ASSERT_EQ(y, ref) << target.name << " w=" << wv << " a=" << av;
        }
      }
      SetTargetBits(0);
    }
  }
}

TEST_F(Tl2Kernel, PreparedBytesIsFiveBitsPerTriple) {
  auto k = CreateKernel("tl2");
  k->Prepare(RandomTernary(128, 4104, 1));  // 4104 = 171 blocks of 24
  EXPECT_EQ(k->PreparedBytes(), 2u * 171 * 320 + 128 * 4);
  EXPECT_NEAR(k->BitsPerWeight(), 5.0 / 3, 0.01);
}

}  // namespace
}  // namespace rsr
