// Per-token int8 activation quantization (BitNet convention, docs/algorithms.md §0):
//   amax = max(1e-5, max_k |x_k|),  s_a = 127 / amax,
//   q_k  = clamp(round_half_even(x_k * s_a), -128, 127),  sum_q = sum_k q_k.
// The exact integer dot D = sum_k w_k q_k gives y = D / s_a * s_w, computed by
// DequantizeDot so that every kernel rounds identically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rsr {

struct QuantizedActivations {
  size_t cols = 0;      // K
  size_t tokens = 0;    // N
  std::vector<int8_t> q;        // N x K, token-major (each token contiguous)
  std::vector<float> scale;     // s_a per token
  std::vector<int32_t> sum;     // sum_q per token

  const int8_t* token(size_t t) const { return q.data() + t * cols; }
};

// x is N x K token-major. Throws rsr::Error("x") on NaN or Inf, on a size that
// is not tokens*cols, or on zero tokens/cols.
QuantizedActivations QuantizeActivations(std::span<const float> x, size_t cols,
                                         size_t tokens);

// The one dequantization every int8 kernel uses (scalar or SIMD: float
// division then multiplication, no FMA possible, so results are identical).
inline float DequantizeDot(int32_t dot, float act_scale, float weight_scale) {
  return static_cast<float>(dot) / act_scale * weight_scale;
}

}  // namespace rsr
