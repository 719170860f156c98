// I2_S format (pack/unpack round trip, bit order, padding) and the SIMD
// kernel on every supported target against ReferenceGemmI8, including the
// accumulator worst cases (all weights +-1, all activations -128 or 127,
// K = 65536).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "baselines/i2s/i2s_format.h"
#include "gtest/gtest.h"
#include "rsr/error.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"
#include "rsr/reference.h"
#include "rsr/registry.h"
#include "rsr/targets.h"
#include "tests/rowpack_test_util.h"

namespace rsr::i2s {
namespace {

TEST(I2sFormat, BitOrder) {
  // Weight k = +1 only at k = 5 (byte 5, bits 7:6), 37 (byte 5, bits 5:4),
  // 69 (byte 5, bits 3:2), 101 (byte 5, bits 1:0); -1 at k = 0; else 0.
  std::vector<int8_t> w(kBlockCodes, 0);
  w[0] = -1;
  w[5] = w[37] = w[69] = w[101] = 1;
  Block b;
  PackBlock(w.data(), w.size(), b);
  EXPECT_EQ(b.qs[0], 0b00'01'01'01);  // code 0 for -1 in bits 7:6
  EXPECT_EQ(b.qs[5], 0b10'10'10'10);
  for (size_t j = 1; j < kBlockBytes; ++j) {
    if (j != 5) {
      EXPECT_EQ(b.qs[j], 0b01'01'01'01) << j;
    }
  }
}

TEST(I2sFormat, RoundTripAndPadding) {
  for (size_t n : {size_t{1}, size_t{31}, size_t{32}, size_t{33}, size_t{100},
                   size_t{127}, size_t{128}}) {
    const std::vector<int8_t> w = rowpack_test::RandomWeights(n, n);
    Block b;
    PackBlock(w.data(), n, b);
    for (uint8_t byte : b.qs)
      for (int s = 0; s < 8; s += 2) EXPECT_NE((byte >> s) & 3, 3) << n;
    int8_t out[kBlockCodes];
    UnpackBlock(b, out);
    for (size_t i = 0; i < kBlockCodes; ++i)
      EXPECT_EQ(out[i], i < n ? w[i] : 0) << "n=" << n << " i=" << i;
  }
}

TEST(I2sFormat, PackMatrixAndScalarDot) {
  rowpack_test::PackMatrixAndScalarDot<Format>({1, 127, 128, 300, 8640, 12345},
                                               UnpackBlock);
}

TEST(I2sKernel, RandomShapesAllTargets) {
  rowpack_test::RandomShapesAllTargets("i2s", {{1, 1},
                                               {7, 129},
                                               {33, 127},
                                               {5, 300},
                                               {19, 1000},
                                               {40, 4096 + 64 + 1},
                                               {17, 256},
                                               // 2 segments, 2 row groups
                                               {261, 10300}});
}

TEST(I2sFormat, SaveIsRowMajorAndLoadsBack) {
  rowpack_test::SaveIsRowMajorAndLoadsBack<Format>("i2s");
}

TEST(I2sKernel, AccumulatorWorstCases) {
  rowpack_test::AccumulatorWorstCases("i2s");
}

TEST(I2sKernel, RegistryEntry) {
  KernelOptions options;
  options.threads = 2;
  auto kernel = CreateKernel("i2s", options);
  const KernelCaps caps = kernel->Caps();
  EXPECT_TRUE(caps.int8_activations && caps.native_gemm && caps.simd);
  EXPECT_TRUE(caps.ternary && caps.binary);
  EXPECT_FALSE(caps.float_activations);
  const size_t M = 10, K = 8640;
  kernel->Prepare(RandomTernary(M, K, 7));
  EXPECT_EQ(kernel->PreparedBytes(),
            M * BlocksPerRow(K) * kBlockBytes + kReadSlack + sizeof(float));
  EXPECT_NEAR(kernel->BitsPerWeight(), 2.0, 0.1);
  options.activations = ActivationType::kFloat32;
  EXPECT_THROW(CreateKernel("i2s", options), Error);
}

}  // namespace
}  // namespace rsr::i2s
