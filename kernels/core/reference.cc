#include "rsr/reference.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "rsr/error.h"

namespace rsr {

void ReferenceGemmI8(const TernaryMatrix& w, const QuantizedActivations& xq,
                     std::span<float> y) {
  const size_t M = w.rows(), K = w.cols();
  if (xq.cols != K) throw Error("x", "K mismatch with the weights");
  if (y.size() != xq.tokens * M) throw Error("y", "size != tokens*M");
  for (size_t t = 0; t < xq.tokens; ++t) {
    const int8_t* q = xq.token(t);
    for (size_t r = 0; r < M; ++r) {
      const int8_t* wr = w.row(r);
      int64_t d = 0;
      for (size_t k = 0; k < K; ++k) d += int64_t{wr[k]} * q[k];
      y[t * M + r] =
          DequantizeDot(static_cast<int32_t>(d), xq.scale[t], w.scale());
    }
  }
}

void ReferenceGemmF32(const TernaryMatrix& w, std::span<const float> x,
                      size_t tokens, std::span<float> y) {
  const size_t M = w.rows(), K = w.cols();
  if (x.size() != tokens * K) throw Error("x", "size != tokens*K");
  if (y.size() != tokens * M) throw Error("y", "size != tokens*M");
  for (size_t t = 0; t < tokens; ++t) {
    const float* xt = x.data() + t * K;
    for (size_t r = 0; r < M; ++r) {
      const int8_t* wr = w.row(r);
      double d = 0;
      for (size_t k = 0; k < K; ++k) d += static_cast<double>(wr[k]) * xt[k];
      y[t * M + r] = static_cast<float>(d * w.scale());
    }
  }
}

double FloatTolerance(size_t cols, double abs_sum, float weight_scale) {
  const double u = std::numeric_limits<float>::epsilon() / 2;  // 2^-24
  const double n = static_cast<double>(cols) + 2;  // sum, scale, final round
  constexpr double kLambda = 9;
  const double gamma =
      std::expm1(kLambda * std::sqrt(n) * u + n * u * u / (1.0 - u));
  return gamma * abs_sum * weight_scale +
         std::numeric_limits<float>::denorm_min();
}

double FloatToleranceWorstCase(size_t cols, double abs_sum,
                               float weight_scale) {
  const double u = std::numeric_limits<float>::epsilon() / 2;  // 2^-24
  const double n = static_cast<double>(cols) + 2;  // sum, scale, final round
  const double gamma = n * u / (1.0 - n * u);
  return gamma * abs_sum * weight_scale +
         std::numeric_limits<float>::denorm_min();
}

ReferenceCheck CheckAgainstReference(const TernaryMatrix& w,
                                     std::span<const float> x, size_t tokens,
                                     ActivationType activations,
                                     std::span<const float> y,
                                     bool exact_float) {
  constexpr size_t kKeep = 5;
  const size_t M = w.rows(), K = w.cols();
  if (y.size() != tokens * M) throw Error("y", "size != tokens*M");
  std::vector<float> ref(tokens * M);
  const bool int8 = activations == ActivationType::kInt8;
  if (int8)
    ReferenceGemmI8(w, QuantizeActivations(x, K, tokens), ref);
  else
    ReferenceGemmF32(w, x, tokens, ref);
  ReferenceCheck check;
  for (size_t t = 0; t < tokens; ++t) {
    double tol = 0;
    if (!int8 && !exact_float) {
      double abs_sum = 0;
      for (size_t i = 0; i < K; ++i) abs_sum += std::fabs(x[t * K + i]);
      tol = FloatTolerance(K, abs_sum, w.scale());
    }
    for (size_t r = 0; r < M; ++r) {
      const float got = y[t * M + r], want = ref[t * M + r];
      const double err = std::fabs(static_cast<double>(got) - want);
      if (!(err <= tol)) {  // NaN fails
        if (check.first.size() < kKeep)
          check.first.push_back({t, r, got, want, tol});
        ++check.mismatches;
      }
      if (!(err <= check.max_abs_error)) check.max_abs_error = err;
    }
  }
  return check;
}

}  // namespace rsr
