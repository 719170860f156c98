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
#include "tests/rowpack_test_util.h"

namespace rsr::tq5 {
namespace {

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
    const std::vector<int8_t> w = rowpack_test::RandomWeights(n, n);
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
  rowpack_test::PackMatrixAndScalarDot<Format>(
      {1, 11, 319, 320, 321, 8640, 12345}, UnpackBlock);
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

TEST(Tq5Kernel, SmallKAndBlockTailsAllTargets) {
  rowpack_test::ForEachTarget([&] {
    for (size_t K = 1; K <= 11; ++K) {
      for (size_t M : {size_t{1}, size_t{3}, size_t{5}}) {
        const TernaryMatrix w = RandomTernary(M, K, M * 100 + K);
        for (size_t n : {size_t{1}, size_t{2}, size_t{5}}) {
          const auto x = RandomActivations(n * K, n + K);
          rowpack_test::ExpectMatchesReference("tq5", w,
                                               QuantizeActivations(x, K, n), 1);
        }
      }
    }
  });
}

TEST(Tq5Kernel, RandomShapesAllTargets) {
  rowpack_test::RandomShapesAllTargets("tq5", {{1, 1},
                                               {7, 129},
                                               {33, 127},
                                               {5, 319},
                                               {3, 320},
                                               {9, 321},
                                               {19, 1000},
                                               {40, 4096 + 65},
                                               {17, 641},
                                               {65, 2560},
                                               // 2 segments, 2 row groups
                                               {261, 10300}});
}

TEST(Tq5Format, SaveIsRowMajorAndLoadsBack) {
  rowpack_test::SaveIsRowMajorAndLoadsBack<Format>("tq5");
}

TEST(Tq5Kernel, AccumulatorWorstCases) {
  rowpack_test::AccumulatorWorstCases("tq5");
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
