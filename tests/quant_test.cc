// The SIMD quantizer against a plain scalar transcription of
// docs/algorithms.md §0, on every supported target (the kernels and the reference both consume its
// output, so only this test can catch a quantizer bug).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "rsr/rsr.h"

namespace rsr {
namespace {

TEST(Quant, SimdMatchesScalarSpecOnEveryTarget) {
  for (const TargetInfo& t : SupportedTargets()) {
    SetTargetBits(t.bits);
    for (size_t k : {1, 2, 7, 15, 16, 17, 31, 64, 100, 1000, 4099}) {
      for (uint64_t seed = 0; seed < 3; ++seed) {
        std::vector<float> x = RandomActivations(k * 2, seed * 977 + k, -3.0f, 3.0f);
        // Exact ties: with amax = 127 the scale is 1 and x.5 must go to even.
        if (seed == 2)
          for (size_t i = 0; i < x.size(); ++i) x[i] = (static_cast<int>(i % 255) - 127) * 0.5f;
        if (seed == 2) x[0] = 127.0f;
        const auto q = QuantizeActivations(x, k, 2);
        for (size_t tok = 0; tok < 2; ++tok) {
          const float* xt = x.data() + tok * k;
          float amax = 0;
          for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(xt[i]));
          amax = std::max(amax, 1e-5f);
          const float s = 127.0f / amax;
          ASSERT_EQ(q.scale[tok], s) << t.name;
          int32_t sum = 0;
          for (size_t i = 0; i < k; ++i) {
            const float r = std::clamp(std::nearbyint(xt[i] * s), -128.0f, 127.0f);
            ASSERT_EQ(q.q[tok * k + i], static_cast<int8_t>(r))
                << t.name << " k=" << k << " i=" << i << " x=" << xt[i];
            sum += static_cast<int8_t>(r);
          }
          ASSERT_EQ(q.sum[tok], sum) << t.name;
        }
      }
    }
    // Non-finite values anywhere (vector body or scalar tail) are rejected.
    for (size_t pos : {0, 5, 16, 32, 40}) {
      std::vector<float> x(41, 1.0f);
      x[pos] = pos % 2 ? INFINITY : std::nanf("");
      EXPECT_THROW(QuantizeActivations(x, 41, 1), Error) << t.name << " pos " << pos;
    }
  }
  SetTargetBits(0);
}

}  // namespace
}  // namespace rsr
