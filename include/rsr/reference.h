// Plain reference products, written for clarity with wide accumulators. Every
// kernel is tested against these; `rsr-bench verify` uses them too.
#pragma once

#include <cstddef>
#include <span>

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

}  // namespace rsr
