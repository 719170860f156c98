// The paper's -O0 code paths (naive loop; RSR / RSR++ faithful and lean)
// against the optimised reference product: exact int results. That these
// files are unoptimised is checked at build time: each refuses to compile
// when __OPTIMIZE__ is set.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/paper/paper_faithful.h"
#include "harness/paper/paper_matrix.h"
#include "harness/paper/paper_naive.h"
#include "harness/paper/paper_rsr.h"
#include "harness/paper/protocol.h"
#include "rsr/error.h"
#include "rsr/matrix.h"

namespace rsr::paper {
namespace {

// The faithful products return blocks * k entries; the first n_cols are r.
std::vector<int> Head(std::vector<int> r, size_t n) {
  EXPECT_GE(r.size(), n);
  r.resize(n);
  return r;
}

void ExpectAllMethodsExact(const PaperMatrix& a, const std::vector<int>& v,
                           int k, const std::string& what) {
  const std::vector<int> want = ReferenceProduct(v, a);
  const size_t n_cols = want.size();
  const FaithfulIndex f = FaithfulPreprocess(a, k);
  EXPECT_EQ(Head(FaithfulRsrMultiply(v, f.permutations, f.segments, f.bin_k, k),
                 n_cols),
            want)
      << "faithful RSR " << what;
  EXPECT_EQ(Head(FaithfulRsrPlusPlusMultiply(v, f.permutations, f.segments, k),
                 n_cols),
            want)
      << "faithful RSR++ " << what;
  const PaperRsrIndex lean = PaperRsrPreprocess(a, k);
  EXPECT_EQ(PaperRsrMultiply(v, lean), want) << "lean RSR " << what;
  EXPECT_EQ(PaperRsrPlusPlusMultiply(v, lean), want) << "lean RSR++ " << what;
}

// Shapes around the block size (k_eq, k_lt, k_gt, k_div, odd tails), square
// and not: RSR and RSR++, faithful and lean, at every k from 1 to 9.
TEST(PaperRsr, AllMethodsExact) {
  const size_t shapes[][2] = {{1, 1},   {3, 5},   {8, 8},    {37, 64},
                              {64, 37}, {100, 7}, {129, 200}};
  uint64_t seed = 1;
  for (const auto& s : shapes) {
    const PaperMatrix a = ToPaperMatrix(RandomBinary(s[0], s[1], seed++));
    const std::vector<int> v = RandomIntVector(a.size(), seed++);
    for (int k = 1; k <= 9; ++k)
      ExpectAllMethodsExact(a, v, k,
                            "M=" + std::to_string(s[0]) +
                                " K=" + std::to_string(s[1]) +
                                " k=" + std::to_string(k));
  }
}

// The naive loop is square-only (its bound comes from v, as the authors').
TEST(PaperNaive, MatchesReference) {
  for (size_t n : {1, 2, 17, 64, 100}) {
    const PaperMatrix a = RandomPaperMatrix(n, n);
    const std::vector<int> v = RandomIntVector(n, n + 1);
    EXPECT_EQ(PaperNaiveMultiply(v, a), ReferenceProduct(v, a)) << "n=" << n;
  }
}

TEST(PaperRsr, AllOnesAndAllZeros) {
  for (int8_t value : {0, 1}) {
    const PaperMatrix a = ToPaperMatrix(ConstantMatrix(13, 50, value));
    ExpectAllMethodsExact(a, RandomIntVector(50, 7), 4,
                          "constant " + std::to_string(value));
  }
}

// The faithful index has the authors' layout: 2^k bucket starts per block
// (an empty bucket starts where the next one does), every row of a bucket
// carrying that bucket's code, and B_k zero past column k.
TEST(PaperRsr, FaithfulIndexLayout) {
  const int k = 3;
  const PaperMatrix a = RandomPaperMatrix(40, 5);
  const FaithfulIndex f = FaithfulPreprocess(a, k);
  ASSERT_EQ(f.permutations.size(), (40u + k - 1) / k);
  ASSERT_EQ(f.bin_k.size(), 8u);
  for (size_t c = 0; c < 8; ++c) {
    ASSERT_EQ(f.bin_k[c].size(), 8u);
    for (int t = 0; t < 8; ++t)
      EXPECT_EQ(f.bin_k[c][t], t < k ? int((c >> (k - 1 - t)) & 1) : 0);
  }
  for (size_t b = 0; b < f.permutations.size(); ++b) {
    std::vector<int> sorted = f.permutations[b];
    std::sort(sorted.begin(), sorted.end());
    for (int j = 0; j < 40; ++j) ASSERT_EQ(sorted[j], j);
    const auto& seg = f.segments[b];
    ASSERT_EQ(seg.size(), 8u);
    EXPECT_EQ(seg[0], 0);
    for (size_t c = 0; c < 8; ++c) {
      const int end = c + 1 < 8 ? seg[c + 1] : 40;
      ASSERT_LE(seg[c], end);
      for (int p = seg[c]; p < end; ++p) {
        const int row = f.permutations[b][p];
        int code = 0;
        for (int t = 0; t < k; ++t) {
          const size_t col = b * k + t;
          code = code * 2 + (col < 40 ? a[row][col] : 0);
        }
        EXPECT_EQ(code, static_cast<int>(c)) << "block " << b << " row " << row;
      }
    }
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
  EXPECT_THROW(FaithfulPreprocess(ternary, 2), rsr::Error);
  const PaperMatrix a = ToPaperMatrix(RandomBinary(4, 4, 1));
  EXPECT_THROW(PaperRsrPreprocess(a, 0), rsr::Error);
  EXPECT_THROW(PaperRsrPreprocess(a, 17), rsr::Error);
  EXPECT_THROW(FaithfulPreprocess(a, 0), rsr::Error);
  EXPECT_THROW(FaithfulPreprocess(a, kFaithfulMaxK + 1), rsr::Error);
  EXPECT_THROW(PaperRsrPreprocess(PaperMatrix{}, 2), rsr::Error);
  EXPECT_THROW(FaithfulPreprocess(PaperMatrix{{1, 0}, {1}}, 2), rsr::Error);
  const PaperRsrIndex index = PaperRsrPreprocess(a, 2);
  EXPECT_THROW(PaperRsrMultiply(std::vector<int>(3), index), rsr::Error);
  EXPECT_THROW(PaperRsrPlusPlusMultiply(std::vector<int>(5), index),
               rsr::Error);
  EXPECT_THROW(
      CheckFaithfulVector(std::vector<int>(3), FaithfulPreprocess(a, 2)),
      rsr::Error);
  EXPECT_THROW(ReferenceProduct(std::vector<int>(3), a), rsr::Error);
}

TEST(PaperProtocol, PaperK) {
  EXPECT_EQ(PaperK(2048), 4);
  EXPECT_EQ(PaperK(4096), 4);
  EXPECT_EQ(PaperK(8192), 5);
  EXPECT_EQ(PaperK(32768), 6);
  EXPECT_EQ(PaperK(64), 4);  // nearest: 2^11
}

// One child's work in this process: every method exact, and the authors'
// whole-millisecond integer mean computed from the runs it reports.
TEST(PaperProtocol, ProcessReportsExactRunsAndIntegerMean) {
  for (const std::string& method : kPaperMethods) {
    ProcessSpec spec;
    spec.method = method;
    spec.n = 64;
    spec.runs = 3;
    const nlohmann::json r = RunPaperProcess(spec);
    EXPECT_TRUE(r["exact"].get<bool>()) << method;
    ASSERT_EQ(r["runs_ms"].size(), 3u) << method;
    long long whole = 0;
    for (size_t i = 0; i < 3; ++i) {
      const double ms = r["runs_ms"][i];
      EXPECT_EQ(r["runs_whole_ms"][i].get<long long>(),
                static_cast<long long>(ms));
      whole += r["runs_whole_ms"][i].get<long long>();
    }
    EXPECT_EQ(r["int_mean_ms"].get<long long>(), whole / 3) << method;
    EXPECT_EQ(r["k"].get<int>(), method == "naive" ? 0 : PaperK(64));
  }
}

TEST(PaperProtocol, RejectsBadSpec) {
  auto spec = [](std::string method, size_t n, int k, size_t runs) {
    ProcessSpec s;
    s.method = std::move(method);
    s.n = n;
    s.k = k;
    s.runs = runs;
    return s;
  };
  EXPECT_THROW(CheckProcessSpec(spec("dense", 64, 0, 1)), rsr::Error);
  EXPECT_THROW(CheckProcessSpec(spec("naive", 0, 0, 1)), rsr::Error);
  EXPECT_THROW(CheckProcessSpec(spec("naive", kPaperMaxN * 2, 0, 1)),
               rsr::Error);
  EXPECT_THROW(CheckProcessSpec(spec("rsr", 64, kFaithfulMaxK + 1, 1)),
               rsr::Error);
  EXPECT_THROW(CheckProcessSpec(spec("rsr", 64, 0, 0)), rsr::Error);
  EXPECT_NO_THROW(CheckProcessSpec(spec("rsrpp-lean", 64, 0, 1)));
}

}  // namespace
}  // namespace rsr::paper
