// FloatTolerance is tight enough to see one wrong column (reference.h): for
// K up to 11000 and activations with 1 <= |x| <= 2, a result that drops any
// one nonzero column, or flips its sign, is outside the tolerance; a correct
// float kernel stays inside it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rsr/rsr.h"

namespace rsr {
namespace {

// |x| uniform in [1, 2], random sign.
std::vector<float> AwayFromZero(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> mag(1.0f, 2.0f);
  std::vector<float> x(n);
  for (auto& e : x) e = (rng() & 1 ? 1.0f : -1.0f) * mag(rng);
  return x;
}

TEST(FloatTolerance, DroppedOrFlippedColumnFails) {
  const float ws = 0.75f;
  for (size_t k : {1, 2, 33, 1000, 4099, 8640, 11000}) {
    const std::vector<float> x = AwayFromZero(k, k);
    const TernaryMatrix w = RandomTernary(1, k, k + 1, 1.0 / 3, ws);
    double abs_sum = 0, exact = 0;
    for (size_t j = 0; j < k; ++j) {
      abs_sum += std::fabs(x[j]);
      exact += w.at(0, j) * static_cast<double>(x[j]);
    }
    const double tol = FloatTolerance(k, abs_sum, ws);
    std::vector<float> ref(1);
    ReferenceGemmF32(w, x, 1, ref);
    size_t checked = 0;
    for (size_t j = 0; j < k; ++j) {
      if (w.at(0, j) == 0) continue;
      const double term = w.at(0, j) * static_cast<double>(x[j]);
      // The wrong results, rounded to float as a kernel's output would be.
      const float dropped = static_cast<float>((exact - term) * ws);
      const float flipped = static_cast<float>((exact - 2 * term) * ws);
      EXPECT_GT(std::fabs(dropped - static_cast<double>(ref[0])), tol)
          << "K=" << k << " column " << j << " dropped";
      EXPECT_GT(std::fabs(flipped - static_cast<double>(ref[0])), tol)
          << "K=" << k << " column " << j << " flipped";
      ++checked;
    }
    EXPECT_GT(checked, 0u);
  }
  // The worst-case bound cannot: at K = 8640 it exceeds the largest term.
  EXPECT_GT(FloatToleranceWorstCase(8640, 8640 * 1.5, ws), 2 * ws);
}

// The float kernels stay inside FloatTolerance at the same K, with the
// activations it was shown to be tight for.
TEST(FloatTolerance, FloatKernelsStayInside) {
  for (const std::string& name : KernelNames()) {
    KernelOptions opt;
    opt.activations = ActivationType::kFloat32;
    std::unique_ptr<Kernel> kernel;
    try {
      kernel = CreateKernel(name, opt);
    } catch (const Error&) {
      continue;  // int8 only
    }
    for (size_t k : {1000, 8640}) {
      const size_t m = 37, n = 2;
      const TernaryMatrix w = RandomTernary(m, k, k + 5, 1.0 / 3, 0.75f);
      kernel->Prepare(w);
      const std::vector<float> x = AwayFromZero(k * n, k + 9);
      std::vector<float> y(m * n), ref(m * n);
      kernel->Gemm(x, n, y);
      ReferenceGemmF32(w, x, n, ref);
      for (size_t t = 0; t < n; ++t) {
        double abs_sum = 0;
        for (size_t j = 0; j < k; ++j) abs_sum += std::fabs(x[t * k + j]);
        const double tol = FloatTolerance(k, abs_sum, 0.75f);
        for (size_t r = 0; r < m; ++r)
          EXPECT_LE(
              std::fabs(static_cast<double>(y[t * m + r]) - ref[t * m + r]),
              tol)
              << name << " K=" << k << " token " << t << " row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace rsr
