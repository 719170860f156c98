// Plain reference products, written for clarity with wide accumulators. Every
// kernel is tested against these; `rsr-bench verify` uses them too.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "rsr/kernel.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"

namespace rsr {

// Exact int8 path: int64 accumulation, then DequantizeDot. y is N x M.
void ReferenceGemmI8(const TernaryMatrix& w, const QuantizedActivations& xq,
                     std::span<float> y);
// Float path: double accumulation, rounded to float at the end. x is N x K,
// y is N x M.
void ReferenceGemmF32(const TernaryMatrix& w, std::span<const float> x,
                      size_t tokens, std::span<float> y);

// Error bounds for a float-path kernel against ReferenceGemmF32, for one
// output y = s_w sum_k w_k x_k whose activations have absolute sum
// `abs_sum` (sum_k |x_k|). The terms w_k x_k are exact (w in {-1, 0, +1});
// the kernel adds them in float in its own order and multiplies by s_w, and
// the reference (double) rounds once to float, so each term passes through at
// most n = K + 2 roundings of unit u = 2^-24:
//   y_kernel - y = s_w sum_k w_k x_k theta_k,  |theta_k| <= gamma_n.
//
// FloatToleranceWorstCase: gamma_n = n u / (1 - n u) (Higham, Accuracy and
// Stability of Numerical Algorithms, 2nd ed., Lemma 3.1), so the error is at
// most gamma_n abs_sum s_w for any inputs and any order. It grows as K^2: at
// K = 8640, x uniform in [-2, 2] (abs_sum ~ 8640), s_w = 0.75 it is 3.3, while
// one column adds at most 2 s_w = 1.5, so a dropped or sign-flipped column
// passes it. Used where inputs may be adversarial (the fuzzer).
//
// FloatTolerance: the probabilistic bound of Higham and Mary (SIAM J. Sci.
// Comput. 41(5), 2019, Theorems 2.4 and 3.1). If the rounding errors are
// independent with mean zero (true enough for random activations, which is
// what the tests and `rsr-bench verify` use), every |theta_k| <= gamma~_n =
// exp(lambda sqrt(n) u + n u^2 / (1 - u)) - 1 ~ lambda sqrt(n) u with
// probability at least 1 - 2 n exp(-lambda^2 (1 - u)^2 / 2). lambda = 9:
// failure below 3e-13 per output at K = 65536. It grows as K^1.5: at K = 8640,
// x uniform in [-2, 2], s_w = 0.75 it is 0.32, so dropping column j fails once
// |x_j| > 0.43 and flipping its sign once |x_j| > 0.22; with |x| >= 1 every
// dropped or flipped column fails up to K = 11000 (tests/tolerance_test.cc).
// Activations on a 1/8 grid with |x| <= 4 make every float path exact while
// abs_sum < 2^21 (each partial sum is a multiple of 1/8 below 2^21: 24 bits),
// i.e. up to K = 2^19; tests compare those with ==.
double FloatTolerance(size_t cols, double abs_sum, float weight_scale);
double FloatToleranceWorstCase(size_t cols, double abs_sum, float weight_scale);

// A kernel's output y (N x M) for weights w and float inputs x (N x K)
// against the reference of its activation type: int8 outputs must equal
// ReferenceGemmI8 on QuantizeActivations(x) (==), float outputs must lie
// within FloatTolerance of ReferenceGemmF32 (or equal it, with
// exact_float, for inputs on which every float path is exact). The one
// comparison the tests and `rsr-bench verify` share.
struct ReferenceCheck {
  struct Miss {
    size_t token = 0, row = 0;
    float got = 0, want = 0;
    double tolerance = 0;
  };
  size_t mismatches = 0;
  double max_abs_error = 0;
  std::vector<Miss> first;  // the first few mismatches
  bool ok() const { return mismatches == 0; }
};
ReferenceCheck CheckAgainstReference(const TernaryMatrix& w,
                                     std::span<const float> x, size_t tokens,
                                     ActivationType activations,
                                     std::span<const float> y,
                                     bool exact_float = false);

}  // namespace rsr
