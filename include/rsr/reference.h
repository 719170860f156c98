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

// Error bound for a float-path kernel against ReferenceGemmF32 for one output
// whose inputs have absolute sum `abs_sum` (sum_k |x_k|). Any summation order
// of K float terms errs by at most gamma_K * abs_sum with gamma_K ~ K*u
// (u = 2^-24), plus one rounding of the result; the bound is rigorous, so a
// correct kernel never fails it, and a wrong row or sign exceeds it. Tests
// pair it with activations on a 1/8 grid, where every float path is exact
// and compared with ==.
double FloatTolerance(size_t cols, double abs_sum, float weight_scale);

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
