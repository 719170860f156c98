// The paper-faithful RSR / RSR++ (harness/paper/paper_rsr.cc, -O0) against
// the paper's naive loop (baselines/dense/paper_naive.cc): exact int results.
#include <gtest/gtest.h>

#include "baselines/dense/dense.h"
#include "harness/paper/paper_rsr.h"
#include "harness/paper/reproduce.h"
#include "rsr/error.h"
#include "rsr/matrix.h"

namespace rsr::paper {
namespace {

using harness::RandomIntVector;

// Shapes around the block size: k_eq, k_lt, k_gt, k_div and odd tails.
TEST(PaperRsr, MatchesPaperNaiveLoop) {
  const size_t shapes[][2] = {{1, 1},   {3, 5},   {8, 8},    {37, 64},
                              {64, 37}, {100, 7}, {129, 200}};
  uint64_t seed = 1;
  for (const auto& s : shapes) {
    const TernaryMatrix w = RandomBinary(s[0], s[1], seed++);
    const PaperMatrix a = ToPaperMatrix(w);
    const std::vector<int> v = RandomIntVector(w.cols(), seed++);
    const std::vector<int> want = PaperNaiveMultiply(v, a);
    for (int k = 1; k <= 9; ++k) {
      const PaperRsrIndex index = PaperRsrPreprocess(a, k);
      EXPECT_EQ(PaperRsrMultiply(v, index), want)
          << "RSR M=" << s[0] << " K=" << s[1] << " k=" << k;
      EXPECT_EQ(PaperRsrPlusPlusMultiply(v, index), want)
          << "RSR++ M=" << s[0] << " K=" << s[1] << " k=" << k;
    }
  }
}

TEST(PaperRsr, AllOnesAndAllZeros) {
  for (int8_t value : {0, 1}) {
    const PaperMatrix a = ToPaperMatrix(ConstantMatrix(13, 50, value));
    const std::vector<int> v = RandomIntVector(50, 7);
    const std::vector<int> want = PaperNaiveMultiply(v, a);
    const PaperRsrIndex index = PaperRsrPreprocess(a, 4);
    EXPECT_EQ(PaperRsrMultiply(v, index), want);
    EXPECT_EQ(PaperRsrPlusPlusMultiply(v, index), want);
  }
}

TEST(PaperRsr, IndexBytesMatchPaperFormula) {
  const PaperMatrix a = ToPaperMatrix(RandomBinary(20, 33, 3));
  const PaperRsrIndex index = PaperRsrPreprocess(a, 6);
  EXPECT_EQ(index.IndexBytes(), PaperIndexInt64Bytes(33, 20, 6));
  // The paper's claim: the int64 index is about k times smaller.
  const double ratio = static_cast<double>(PaperDenseInt64Bytes(4096, 4096)) /
                       static_cast<double>(PaperIndexInt64Bytes(4096, 4096, 6));
  EXPECT_GT(ratio, 5.5);
  EXPECT_LT(ratio, 6.0);
}

TEST(PaperRsr, RejectsBadInput) {
  const PaperMatrix ternary = ToPaperMatrix(ConstantMatrix(4, 4, -1));
  EXPECT_THROW(PaperRsrPreprocess(ternary, 2), rsr::Error);
  const PaperMatrix a = ToPaperMatrix(RandomBinary(4, 4, 1));
  EXPECT_THROW(PaperRsrPreprocess(a, 0), rsr::Error);
  EXPECT_THROW(PaperRsrPreprocess(a, 17), rsr::Error);
  EXPECT_THROW(PaperRsrPreprocess(PaperMatrix{}, 2), rsr::Error);
  const PaperRsrIndex index = PaperRsrPreprocess(a, 2);
  EXPECT_THROW(PaperRsrMultiply(std::vector<int>(3), index), rsr::Error);
  EXPECT_THROW(PaperRsrPlusPlusMultiply(std::vector<int>(5), index),
               rsr::Error);
}

}  // namespace
}  // namespace rsr::paper
