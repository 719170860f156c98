// Per-token activation quantization (docs/algorithms.md §0), Highway SIMD.
// Every int8 kernel pays this inside Gemv/Gemm, so it is vectorised too: the
// scalar loop (nearbyint per element) took ~2 us at K = 2560 on Zen 5, a few
// percent of an I2_S GEMV at that size.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/core/quant.cc"
#include <algorithm>
#include <cmath>
#include <string>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Returns max|x| over n floats, or NaN when any element is NaN or +-Inf
// (x * 0 is NaN exactly for those, and NaN survives the sum).
float AbsMaxOrNaN(const float* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto vmax = hn::Zero(d);
  auto poison = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::LoadU(d, x + i);
    vmax = hn::Max(vmax, hn::Abs(v));
    poison = hn::Add(poison, hn::Mul(v, hn::Zero(d)));
  }
  float m = hn::GetLane(hn::MaxOfLanes(d, vmax));
  float p = hn::GetLane(hn::SumOfLanes(d, poison));
  for (; i < n; ++i) {
    m = std::max(m, std::fabs(x[i]));
    p += x[i] * 0.0f;
  }
  return std::isnan(p) ? p : m;
}

// q = clamp(round_half_even(x * s), -128, 127); returns sum q.
int32_t QuantizeRow(const float* HWY_RESTRICT x, size_t n, float s,
                    int8_t* HWY_RESTRICT q) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<int8_t, decltype(d)> d8;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, s);
  const auto lo = hn::Set(d, -128.0f), hi = hn::Set(d, 127.0f);
  auto vsum = hn::Zero(di);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto r =
        hn::Min(hn::Max(hn::Round(hn::Mul(hn::LoadU(d, x + i), vs)), lo), hi);
    const auto qi = hn::ConvertTo(di, r);
    vsum = hn::Add(vsum, qi);
    hn::StoreU(hn::DemoteTo(d8, qi), d8, q + i);
  }
  int32_t sum = hn::GetLane(hn::SumOfLanes(di, vsum));
  for (; i < n; ++i) {
    const float r = std::clamp(std::nearbyint(x[i] * s), -128.0f, 127.0f);
    q[i] = static_cast<int8_t>(r);
    sum += q[i];
  }
  return sum;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/core/quantize.h"
#include "rsr/error.h"
#include "rsr/limits.h"
#include "rsr/quant.h"

namespace rsr {
HWY_EXPORT(AbsMaxOrNaN);
HWY_EXPORT(QuantizeRow);

void CheckActivationShape(size_t x_size, size_t cols, size_t tokens) {
  if (cols == 0) throw Error("x", "K (cols) must be >= 1");
  if (tokens == 0) throw Error("tokens", "must be >= 1");
  if (tokens > kMaxTokens)
    throw Error("tokens", std::to_string(tokens) + " exceeds the limit " +
                              std::to_string(kMaxTokens));
  if (x_size != cols * tokens)
    throw Error("x", "size " + std::to_string(x_size) + " != tokens*K = " +
                         std::to_string(tokens) + "*" + std::to_string(cols));
}

QuantizedActivations QuantizeChecked(const float* x, size_t cols,
                                     size_t tokens) {
  QuantizedActivations out;
  out.cols = cols;
  out.tokens = tokens;
  out.q.resize(cols * tokens);
  out.scale.resize(tokens);
  out.sum.resize(tokens);
  for (size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * cols;
    float amax = HWY_DYNAMIC_DISPATCH(AbsMaxOrNaN)(xt, cols);
    if (std::isnan(amax)) {
      for (size_t k = 0; k < cols; ++k)
        if (!std::isfinite(xt[k]))
          throw Error("x", "activation " + std::to_string(k) + " of token " +
                               std::to_string(t) + " is not finite (" +
                               std::to_string(xt[k]) + ")");
    }
    amax = std::max(amax, 1e-5f);
    const float s = 127.0f / amax;
    out.scale[t] = s;
    out.sum[t] =
        HWY_DYNAMIC_DISPATCH(QuantizeRow)(xt, cols, s, out.q.data() + t * cols);
  }
  return out;
}

QuantizedActivations QuantizeActivations(std::span<const float> x, size_t cols,
                                         size_t tokens) {
  CheckActivationShape(x.size(), cols, tokens);
  return QuantizeChecked(x.data(), cols, tokens);
}

}  // namespace rsr
#endif  // HWY_ONCE
