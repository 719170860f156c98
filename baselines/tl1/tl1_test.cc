// TL1 format (bit order, pack/unpack round trip, padding, tables) and the
// SIMD kernel on every supported target and several thread counts against
// ReferenceGemmI8, including tiny/tail shapes and the int16 accumulator worst
// cases (all weights +-1, all activations -128 or 127, K = 65536).
#include "baselines/tl1/tl1.h"

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

TEST(Tl1Format, RoundTripAndPadding) {
  const size_t shapes[][2] = {{1, 1},  {1, 2},   {5, 7},  {17, 33},
                              {64, 16}, {65, 17}, {130, 49}, {3, 1000}};
  for (const auto& s : shapes) {
    for (int binary = 0; binary < 2; ++binary) {
      const TernaryMatrix w = binary ? RandomBinary(s[0], s[1], s[0] + s[1])
                                     : RandomTernary(s[0], s[1], s[0] * s[1]);
      const Tl1Packed p = PackTl1(w);
      const std::vector<int8_t> back = UnpackTl1(p);
      ASSERT_EQ(back.size(), w.values().size());
      for (size_t i = 0; i < back.size(); ++i)
        ASSERT_EQ(back[i], w.values()[i]) << s[0] << "x" << s[1] << " i=" << i;
      // Every nibble is a valid index; padding (rows >= M, columns >= K) is
      // index 4 = (0, 0).
      for (size_t tile = 0; tile < p.tiles; ++tile)
        for (size_t b = 0; b < p.blocks_per_tile; ++b)
          for (size_t g = 0; g < 8; ++g)
            for (size_t r = 0; r < kTlRows; ++r) {
              const uint8_t byte = p.blocks[tile * p.blocks_per_tile + b].idx[g / 2][r];
              const int index = (byte >> (4 * (g % 2))) & 0xF;
              ASSERT_LE(index, 8);
              const size_t row = tile * kTlRows + r, col = b * 16 + 2 * g;
              if (row >= s[0] || col >= s[1]) {
                ASSERT_EQ(index, 4);
              }
            }
      EXPECT_EQ(p.blocks.bytes(), p.tiles * p.blocks_per_tile * 256);
    }
  }
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

KernelOptions Threads(int threads) {
  KernelOptions o;
  o.threads = threads;
  return o;
}

class Tl1Kernel : public ::testing::Test {
 protected:
  void TearDown() override { SetTargetBits(0); }
};

TEST_F(Tl1Kernel, MatchesReferenceOnTinyShapes) {
  for (const TargetInfo& target : SupportedTargets()) {
    SetTargetBits(target.bits);
    for (int threads : {1, 3}) {
      auto k = CreateKernel("tl1", Threads(threads));
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

TEST_F(Tl1Kernel, ExactAtAccumulatorWorstCase) {
  constexpr size_t kM = 65, kK = 65536;
  for (int wv : {1, -1}) {
    const TernaryMatrix w = ConstantMatrix(kM, kK, static_cast<int8_t>(wv));
    for (int av : {-128, 127}) {
      QuantizedActivations xq;
      xq.cols = kK;
      xq.tokens = 2;
      xq.q.assign(2 * kK, static_cast<int8_t>(av));
      for (size_t i = 0; i < kK; i += 2) xq.q[kK + i] = -128;  // token 1: mixed
      xq.scale = {1.0f, 1.0f};
      xq.sum = {0, 0};
      std::vector<float> ref(2 * kM);
      ReferenceGemmI8(w, xq, ref);
      EXPECT_EQ(ref[0], static_cast<float>(wv * av * int64_t{kK}));
      for (const TargetInfo& target : SupportedTargets()) {
        SetTargetBits(target.bits);
        for (int threads : {1, 2}) {
          auto k = CreateKernel("tl1", Threads(threads));
          k->Prepare(w);
          std::vector<float> y(2 * kM);
          Tl1GemmI8ForTest(*k, xq, y.data());
          ASSERT_EQ(y, ref) << target.name << " w=" << wv << " a=" << av;
        }
      }
      SetTargetBits(0);
    }
  }
}

TEST_F(Tl1Kernel, PreparedBytesIsTwoBitsPerWeight) {
  auto k = CreateKernel("tl1");
  k->Prepare(RandomTernary(128, 4096, 1));
  EXPECT_EQ(k->PreparedBytes(), 128u * 4096 / 4);
  EXPECT_DOUBLE_EQ(k->BitsPerWeight(), 2.0);
}

}  // namespace
}  // namespace rsr
