// TQ5 format (the byte map, bit order, pack/unpack round trip, padding,
// validation) and the SIMD kernel on every supported target against
// ReferenceGemmI8, including K = 1..11, K around the 320-column block, odd M
// and the accumulator worst cases (all weights +-1, all activations -128 or
// 127, K = 65536).
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "baselines/tq5/tq5_format.h"
#include "gtest/gtest.h"
#include "rsr/error.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"
#include "rsr/reference.h"
#include "rsr/registry.h"
#include "rsr/targets.h"

namespace rsr::tq5 {
namespace {

std::vector<int8_t> RandomWeights(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int8_t> w(n);
  for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  return w;
}

// The byte map is a bijection between the 243 trit tuples and the bytes
// 0..242, decodes back to the tuple, and t4 depends on the low 6 bits only
// (what the vpermb decode relies on).
TEST(Tq5Format, ByteMapIsABijection) {
  std::set<unsigned> bytes;
  for (unsigned idx = 0; idx < kNumByteValues; ++idx) {
    const uint8_t v = kTables.encode[idx];
    ASSERT_LT(v, kNumByteValues) << idx;
    bytes.insert(v);
    unsigned t[5] = {idx % 3, idx / 3 % 3, idx / 9 % 3, idx / 27 % 3, idx / 81};
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(TritOf(v, i), t[i]) << idx;
  }
  EXPECT_EQ(bytes.size(), kNumByteValues);
  for (unsigned v = 0; v < kNumByteValues; ++v)
    EXPECT_EQ(TritOf(static_cast<uint8_t>(v), 4), ClassOfLow6(v % 64)) << v;
  // Each class (t4) holds 81 bytes.
  unsigned count[3] = {0, 0, 0};
  for (unsigned v = 0; v < kNumByteValues; ++v) ++count[ClassOfLow6(v % 64)];
  EXPECT_EQ(count[0], 81u);
  EXPECT_EQ(count[1], 81u);
  EXPECT_EQ(count[2], 81u);
  // Within a class, the bytes in increasing order carry 0..80 in base 3.
  EXPECT_EQ(kTables.encode[0], 0);    // class 0, rank 0
  EXPECT_EQ(kTables.encode[81], 18);  // class 1 starts at low bits 18
  EXPECT_EQ(kTables.encode[162], 36);
  EXPECT_EQ(kTables.encode[1], 1);
}

TEST(Tq5Format, BitOrder) {
  // +1 at column 5 (byte 5, t0), 69 (byte 5, t1), 133 (t2), 197 (t3) and
  // 261 (t4); -1 at column 64 (byte 0, t1); else 0.
  std::vector<int8_t> w(kBlockCodes, 0);
  w[64] = -1;
  w[5] = w[69] = w[133] = w[197] = w[261] = 1;
  Block b;
  PackBlock(w.data(), w.size(), b);
  EXPECT_EQ(b.qs[5], kTables.encode[2 + 3 * 2 + 9 * 2 + 27 * 2 + 81 * 2]);
  EXPECT_EQ(b.qs[0], kTables.encode[1 + 3 * 0 + 9 * 1 + 27 * 1 + 81 * 1]);
  const uint8_t zero = kTables.encode[1 + 3 + 9 + 27 + 81];
  for (size_t j = 1; j < kBlockBytes; ++j) {
    if (j != 5) {
      EXPECT_EQ(b.qs[j], zero) << j;
    }
  }
}

TEST(Tq5Format, RoundTripAndPadding) {
  for (size_t n :
       {size_t{1}, size_t{4}, size_t{5}, size_t{11}, size_t{63}, size_t{64},
        size_t{65}, size_t{257}, size_t{319}, size_t{320}}) {
    const std::vector<int8_t> w = RandomWeights(n, n);
    Block b;
    PackBlock(w.data(), n, b);
    for (uint8_t byte : b.qs) EXPECT_LT(byte, kNumByteValues) << n;
    int8_t out[kBlockCodes];
    UnpackBlock(b, out);
    for (size_t i = 0; i < kBlockCodes; ++i)
      EXPECT_EQ(out[i], i < n ? w[i] : 0) << "n=" << n << " i=" << i;
  }
}

TEST(Tq5Format, PackMatrixAndScalarDot) {
  for (size_t K : {size_t{1}, size_t{11}, size_t{319}, size_t{320}, size_t{321},
                   size_t{8640}}) {
    const size_t M = 3;
    const TernaryMatrix w = RandomTernary(M, K, K, 0.3, 0.5f);
    const Weights p = rowpack::Pack<Format>(w);
    ASSERT_EQ(p.row_bytes, BlocksPerRow(K) * kBlockBytes);
    EXPECT_EQ(p.PreparedBytes(), M * BlocksPerRow(K) * kBlockBytes + 4);
    rowpack::ValidatePacked<Format>(p.bytes.data(), M, K);  // what Pack writes is valid
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

// Bytes 243..255 are not codes; padding must be the zero code. Both are
// rejected with an rsr::Error("file") naming the problem and the row.
TEST(Tq5Format, ValidationRejectsNonCodesAndPadding) {
  const size_t M = 2, K = 21;
  const Weights p = rowpack::Pack<Format>(RandomTernary(M, K, 5));
  for (unsigned bad = kNumByteValues; bad < 256; ++bad) {
    std::vector<uint8_t> img(p.bytes.data(), p.bytes.data() + M * 64);
    img[64 + 7] = static_cast<uint8_t>(bad);
    try {
      rowpack::ValidatePacked<Format>(img.data(), M, K);
      ADD_FAILURE() << "byte " << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.argument(), "file");
      EXPECT_NE(std::string(e.what()).find(">= 243"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos);
    }
  }
  // Byte 30 holds columns 30, 94, ... (all padding at K = 21); byte 3 holds
  // column 3 (real) and padding. A -1 in any padding trit is rejected.
  for (size_t j : {size_t{3}, size_t{30}}) {
    for (unsigned t = j == 3 ? 1 : 0; t < 5; ++t) {
      unsigned idx = 1 + 3 + 9 + 27 + 81;
      unsigned pow3 = 1;
      for (unsigned i = 0; i < t; ++i) pow3 *= 3;
      idx -= pow3;  // trit t: code 1 -> 0
      std::vector<uint8_t> img(p.bytes.data(), p.bytes.data() + M * 64);
      img[j] = kTables.encode[idx];
      EXPECT_THROW(rowpack::ValidatePacked<Format>(img.data(), M, K), Error)
          << "byte " << j << " trit " << t;
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
  const auto kernel = CreateKernel("tq5", {.threads = threads});
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

TEST(Tq5Kernel, SmallKAndBlockTailsAllTargets) {
  ForEachTarget([&] {
    for (size_t K = 1; K <= 11; ++K) {
      for (size_t M : {size_t{1}, size_t{3}, size_t{5}}) {
        const TernaryMatrix w = RandomTernary(M, K, M * 100 + K);
        for (size_t n : {size_t{1}, size_t{2}, size_t{5}}) {
          const auto x = RandomActivations(n * K, n + K);
          ExpectMatchesReference(w, QuantizeActivations(x, K, n), 1);
        }
      }
    }
  });
}

TEST(Tq5Kernel, RandomShapesAllTargets) {
  struct Shape {
    size_t m, k;
  };
  const Shape shapes[] = {{1, 1},    {7, 129},  {33, 127},  {5, 319},
                          {3, 320},  {9, 321},  {19, 1000}, {40, 4096 + 65},
                          {17, 641}, {65, 2560}};
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
TEST(Tq5Kernel, AccumulatorWorstCases) {
  ForEachTarget([&] {
    for (size_t K : {size_t{65536}, size_t{65536 - 1}, size_t{4099}}) {
      for (int8_t wv : {int8_t{1}, int8_t{-1}}) {
        const TernaryMatrix w = ConstantMatrix(5, K, wv);
        const auto kernel = CreateKernel("tq5", {.threads = 2});
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
  });
}

TEST(Tq5Kernel, RegistryEntry) {
  KernelOptions options;
  options.threads = 2;
  auto kernel = CreateKernel("tq5", options);
  const KernelCaps caps = kernel->Caps();
  EXPECT_TRUE(caps.int8_activations && caps.native_gemm && caps.simd);
  EXPECT_TRUE(caps.ternary && caps.binary);
  EXPECT_FALSE(caps.float_activations);
  const size_t M = 10, K = 8640;  // 27 blocks, no padding
  kernel->Prepare(RandomTernary(M, K, 7));
  EXPECT_EQ(kernel->PreparedBytes(), M * K / 5 + sizeof(float));
  EXPECT_NEAR(kernel->BitsPerWeight(), 1.6, 0.001);
  options.activations = ActivationType::kFloat32;
  EXPECT_THROW(CreateKernel("tq5", options), Error);
}

}  // namespace
}  // namespace rsr::tq5
