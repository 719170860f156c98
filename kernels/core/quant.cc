#include "rsr/quant.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "rsr/error.h"
#include "rsr/limits.h"

namespace rsr {

QuantizedActivations QuantizeActivations(std::span<const float> x, size_t cols,
                                         size_t tokens) {
  if (cols == 0) throw Error("x", "K (cols) must be >= 1");
  if (tokens == 0) throw Error("tokens", "must be >= 1");
  if (tokens > kMaxTokens)
    throw Error("tokens", std::to_string(tokens) + " exceeds the limit " +
                              std::to_string(kMaxTokens));
  if (x.size() != cols * tokens)
    throw Error("x", "size " + std::to_string(x.size()) + " != tokens*K = " +
                         std::to_string(tokens * cols));
  QuantizedActivations out;
  out.cols = cols;
  out.tokens = tokens;
  out.q.resize(cols * tokens);
  out.scale.resize(tokens);
  out.sum.resize(tokens);
  for (size_t t = 0; t < tokens; ++t) {
    const float* xt = x.data() + t * cols;
    float amax = 0.0f;
    for (size_t k = 0; k < cols; ++k) {
      if (!std::isfinite(xt[k]))
        throw Error("x", "activation " + std::to_string(k) + " of token " +
                             std::to_string(t) + " is not finite (" +
                             std::to_string(xt[k]) + ")");
      amax = std::max(amax, std::fabs(xt[k]));
    }
    amax = std::max(amax, 1e-5f);
    const float s = 127.0f / amax;
    int8_t* qt = out.q.data() + t * cols;
    int32_t sum = 0;
    for (size_t k = 0; k < cols; ++k) {
      // nearbyint rounds half to even in the default rounding mode.
      float r = std::nearbyint(xt[k] * s);
      r = std::clamp(r, -128.0f, 127.0f);
      qt[k] = static_cast<int8_t>(r);
      sum += qt[k];
    }
    out.scale[t] = s;
    out.sum[t] = sum;
  }
  return out;
}

}  // namespace rsr
