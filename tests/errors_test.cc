// Bad input gets a clear rsr::Error naming the argument, for every kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "rsr/rsr.h"
#include "tests/kernel_tester.h"

namespace rsr {
namespace {

// Expects `stmt` to throw rsr::Error whose argument() is `arg`.
#define EXPECT_RSR_ERROR(stmt, arg)                                    \
  do {                                                                 \
    try {                                                              \
      stmt;                                                            \
      ADD_FAILURE() << "no exception from: " #stmt;                    \
    } catch (const ::rsr::Error& e) {                                  \
      EXPECT_EQ(e.argument(), arg) << e.what();                        \
      EXPECT_NE(std::string(e.what()).find(arg), std::string::npos);   \
    }                                                                  \
  } while (0)

TEST(Matrix, RejectsNonTernary) {
  EXPECT_RSR_ERROR(TernaryMatrix(1, 3, {0, 2, 1}), "values");
  EXPECT_RSR_ERROR(TernaryMatrix(1, 2, {-2, 1}), "values");
}

TEST(Matrix, RejectsBadShapes) {
  EXPECT_RSR_ERROR(TernaryMatrix(0, 3, {}), "rows");
  EXPECT_RSR_ERROR(TernaryMatrix(3, 0, {}), "cols");
  EXPECT_RSR_ERROR(TernaryMatrix(2, 2, {1, 0, 1}), "values");
  EXPECT_RSR_ERROR(TernaryMatrix(kMaxRows + 1, 1, {}), "rows");
  EXPECT_RSR_ERROR(TernaryMatrix(1, kMaxCols + 1, {}), "cols");
  EXPECT_RSR_ERROR(TernaryMatrix(kMaxRows, kMaxCols, {}), "rows*cols");
}

TEST(Matrix, RejectsBadScale) {
  EXPECT_RSR_ERROR(TernaryMatrix(1, 1, {1}, 0.0f), "scale");
  EXPECT_RSR_ERROR(TernaryMatrix(1, 1, {1}, -1.0f), "scale");
  EXPECT_RSR_ERROR(TernaryMatrix(1, 1, {1}, std::nanf("")), "scale");
  EXPECT_RSR_ERROR(TernaryMatrix(1, 1, {1}, INFINITY), "scale");
}

TEST(Matrix, BinaryDetection) {
  EXPECT_TRUE(TernaryMatrix(1, 2, {0, 1}).IsBinary());
  EXPECT_FALSE(TernaryMatrix(1, 2, {0, -1}).IsBinary());
}

TEST(Quant, MatchesSpec) {
  // amax = 2 -> s = 63.5; 1.0 * 63.5 = 63.5 rounds half-to-even to 64.
  const std::vector<float> x = {2.0f, -2.0f, 1.0f, 0.0f, 0.5f};
  const auto q = QuantizeActivations(x, 5, 1);
  EXPECT_EQ(q.scale[0], 63.5f);
  EXPECT_EQ(q.q[0], 127);
  EXPECT_EQ(q.q[1], -127);
  EXPECT_EQ(q.q[2], 64);
  EXPECT_EQ(q.q[3], 0);
  EXPECT_EQ(q.q[4], 32);  // 31.75 -> 32
  EXPECT_EQ(q.sum[0], 127 - 127 + 64 + 0 + 32);
  // All-zero token: amax floor 1e-5 keeps the scale finite.
  const auto z = QuantizeActivations(std::vector<float>(4, 0.0f), 4, 1);
  EXPECT_TRUE(std::isfinite(z.scale[0]));
  EXPECT_EQ(z.sum[0], 0);
}

TEST(Quant, RejectsNonFinite) {
  EXPECT_RSR_ERROR(QuantizeActivations(std::vector<float>{1, std::nanf("")}, 2, 1), "x");
  EXPECT_RSR_ERROR(QuantizeActivations(std::vector<float>{INFINITY, 1}, 2, 1), "x");
  EXPECT_RSR_ERROR(QuantizeActivations(std::vector<float>{1, 1, 1}, 2, 1), "x");
  EXPECT_RSR_ERROR(QuantizeActivations(std::vector<float>{}, 2, 0), "tokens");
}

TEST(Registry, UnknownKernelAndOptions) {
  EXPECT_RSR_ERROR(CreateKernel("no-such-kernel"), "kernel");
  KernelOptions bad_threads, bad_k, bad_act;
  bad_threads.threads = -1;
  bad_k.k = 17;
  bad_act.activations = ActivationType::kInt8;
  EXPECT_RSR_ERROR(CreateKernel("dense-f32", bad_threads), "threads");
  EXPECT_RSR_ERROR(CreateKernel("dense-f32", bad_k), "k");
  EXPECT_RSR_ERROR(CreateKernel("dense-f32", bad_act), "activations");
}

TEST(Targets, UnknownTarget) {
  EXPECT_RSR_ERROR(SetTarget("avx9000"), "target");
  SetTarget("best");
}

class KernelErrors : public ::testing::TestWithParam<std::string> {};

TEST_P(KernelErrors, RejectsBadCalls) {
  auto kernel = CreateKernel(GetParam());
  std::vector<float> x(8, 0.5f), y(3);
  EXPECT_RSR_ERROR(kernel->Gemv(x, y), "kernel");  // not prepared
  kernel->Prepare(RandomTernary(3, 8, 1));
  EXPECT_RSR_ERROR(kernel->Gemv(std::vector<float>(7), y), "x");
  std::vector<float> y4(4), x16(16);
  EXPECT_RSR_ERROR(kernel->Gemv(x, y4), "y");
  EXPECT_RSR_ERROR(kernel->Gemm(x, 0, y), "tokens");
  EXPECT_RSR_ERROR(kernel->Gemm(x16, 2, y), "y");
  EXPECT_RSR_ERROR(kernel->Gemm(x, kMaxTokens + 1, y), "tokens");
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    std::vector<float> xb = x;
    xb[5] = bad;
    EXPECT_RSR_ERROR(kernel->Gemv(xb, y), "x");
  }
  // Still usable after errors.
  kernel->Gemv(x, y);
  // Beyond the kernel's own K limit, when it has one below the global one.
  const KernelCaps caps = kernel->Caps();
  if (caps.max_cols < kMaxCols)
    EXPECT_RSR_ERROR(kernel->Prepare(RandomTernary(1, caps.max_cols + 1, 1)), "w");
}

// Weights outside {-1, 0, +1} never reach a kernel's packer: the matrix type
// refuses them with Error("values"), and the kernel stays unprepared (or keeps
// what it had).
TEST_P(KernelErrors, NonTernaryWeights) {
  auto kernel = CreateKernel(GetParam());
  EXPECT_RSR_ERROR(kernel->Prepare(TernaryMatrix(2, 3, {0, 2, 1, 0, 0, -1})),
                   "values");
  EXPECT_FALSE(kernel->prepared());
  EXPECT_RSR_ERROR(kernel->Prepare(TernaryMatrix(1, 2, {-2, 1})), "values");
  EXPECT_FALSE(kernel->prepared());
}

INSTANTIATE_TEST_SUITE_P(AllKernels, KernelErrors, ::testing::ValuesIn(KernelNames()),
                         [](const auto& p) { return testing::TestName(p.param); });

}  // namespace
}  // namespace rsr
