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

namespace rsr::i2s {
namespace {

std::vector<int8_t> RandomWeights(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int8_t> w(n);
  for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  return w;
}

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
    const std::vector<int8_t> w = RandomWeights(n, n);
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
  for (size_t K :
       {size_t{1}, size_t{127}, size_t{128}, size_t{300}, size_t{8640}}) {
    const size_t M = 3;
    const TernaryMatrix w = RandomTernary(M, K, K, 0.3, 0.5f);
    const Weights p = rowpack::Pack<Format>(w);
    ASSERT_EQ(p.row_bytes, BlocksPerRow(K) * kBlockBytes);
    EXPECT_EQ(p.PreparedBytes(),
              M * BlocksPerRow(K) * kBlockBytes + kReadSlack + sizeof(float));
    std::mt19937_64 rng(K);
    std::vector<int8_t> q(K);
    for (auto& v : q)
      v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    for (size_t r = 0; r < M; ++r) {
      std::vector<int8_t> row(BlocksPerRow(K) * kBlockCodes);
      for (size_t b = 0; b < BlocksPerRow(K); ++b)
        UnpackBlock(p.row(r)[b], row.data() + b * kBlockCodes);
      int32_t want = 0;
      for (size_t k = 0; k < K; ++k) {
        ASSERT_EQ(row[k], w.at(r, k)) << "r=" << r << " k=" << k;
        want += w.at(r, k) * q[k];
      }
      for (size_t k = K; k < row.size(); ++k) EXPECT_EQ(row[k], 0);
      EXPECT_EQ(rowpack::DotRowScalar<Format>(p.row(r), K, q.data()), want);
    }
  }
}

// Runs `body` once per compiled target this CPU supports.
template <class Body>
void ForEachTarget(const Body& body) {
  for (const TargetInfo& t : SupportedTargets()) {
    SetTargetBits(t.bits);
    SCOPED_TRACE(t.name);
    body();
  }
  SetTargetBits(0);
}

void ExpectMatchesReference(const TernaryMatrix& w,
                            const QuantizedActivations& xq, int threads) {
  const auto kernel = CreateKernel("i2s", {.threads = threads});
  kernel->Prepare(w);
  std::vector<float> want(xq.tokens * w.rows()), got(want.size(), -1.0f);
  ReferenceGemmI8(w, xq, want);
  kernel->GemmQuantized(xq, got);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i])
        << "M=" << w.rows() << " K=" << w.cols() << " N=" << xq.tokens
        << " threads=" << threads << " token=" << i / w.rows()
        << " row=" << i % w.rows();
  }
}

TEST(I2sKernel, RandomShapesAllTargets) {
  struct Shape {
    size_t m, k;
  };
  const Shape shapes[] = {{1, 1},   {7, 129},   {33, 127},
                          {5, 300}, {19, 1000}, {40, 4096 + 64 + 1},
                          {17, 256}};
  ForEachTarget([&] {
    for (const Shape& s : shapes) {
      const TernaryMatrix w = RandomTernary(s.m, s.k, s.m * 1000 + s.k);
      const TernaryMatrix wb = RandomBinary(s.m, s.k, s.k);
      for (size_t n : {size_t{1}, size_t{3}, size_t{4}, size_t{9}}) {
        const auto x = RandomActivations(n * s.k, n + s.k);
        const QuantizedActivations xq = QuantizeActivations(x, s.k, n);
        for (int threads : {1, 2, 3}) {
          ExpectMatchesReference(w, xq, threads);
          ExpectMatchesReference(wb, xq, threads);
        }
      }
    }
  });
}

QuantizedActivations ConstantActivations(size_t cols, size_t tokens,
                                         int8_t value) {
  QuantizedActivations xq;
  xq.cols = cols;
  xq.tokens = tokens;
  xq.q.assign(cols * tokens, value);
  xq.scale.assign(tokens, 1.0f);
  xq.sum.assign(tokens,
                static_cast<int32_t>(value) * static_cast<int32_t>(cols));
  return xq;
}

// The largest |D| for each sign: every product +-128 * +-1. With scales 1 the
// output is D itself (|D| <= 2^23 is exact in float).
TEST(I2sKernel, AccumulatorWorstCases) {
  ForEachTarget([&] {
    for (size_t K : {size_t{65536}, size_t{65536 - 1}, size_t{4099}}) {
      for (int8_t wv : {int8_t{1}, int8_t{-1}}) {
        const TernaryMatrix w = ConstantMatrix(5, K, wv);
        const auto kernel = CreateKernel("i2s", {.threads = 2});
        kernel->Prepare(w);
        for (int8_t qv : {int8_t{-128}, int8_t{127}}) {
          for (size_t n : {size_t{1}, size_t{5}}) {
            const QuantizedActivations xq = ConstantActivations(K, n, qv);
            std::vector<float> got(n * w.rows());
            kernel->GemmQuantized(xq, got);
            const float want =
                static_cast<float>(wv * qv * static_cast<int64_t>(K));
            for (float v : got)
              ASSERT_EQ(v, want) << "K=" << K << " w=" << int{wv}
                                 << " q=" << int{qv} << " N=" << n;
          }
        }
      }
    }
    // Binary all-ones with q = 127 (largest positive raw sum of codes 2).
    const TernaryMatrix w = ConstantMatrix(3, 65536, 1);
    const QuantizedActivations xq = ConstantActivations(65536, 1, 127);
    ExpectMatchesReference(w, xq, 1);
  });
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
