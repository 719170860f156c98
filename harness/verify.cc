#include "harness/verify.h"

#include <cmath>
#include <exception>
#include <vector>

#include "rsr/matrix.h"
#include "rsr/reference.h"
#include "rsr/registry.h"

namespace rsr::harness {

VerifyResult Verify(const VerifyCase& c) {
  VerifyResult res;
  try {
    KernelOptions opt;
    opt.threads = c.threads;
    opt.k = c.block_k;
    opt.activations = c.activations;
    auto kernel = CreateKernel(c.kernel, opt);
    const uint64_t seed = c.seed * 0x9E3779B97F4A7C15ull + c.m * 131 + c.k;
    const TernaryMatrix w = c.binary ? RandomBinary(c.m, c.k, seed, 0.5, 0.75f)
                                     : RandomTernary(c.m, c.k, seed, 1.0 / 3,
                                                     0.75f);
    const std::vector<float> x = RandomActivations(c.k * c.tokens, seed + 1);
    kernel->Prepare(w);
    std::vector<float> y(c.m * c.tokens), ref(c.m * c.tokens);
    kernel->Gemm(x, c.tokens, y);
    res.activations = ActivationTypeName(kernel->activations());
    if (kernel->activations() == ActivationType::kInt8) {
      ReferenceGemmI8(w, QuantizeActivations(x, c.k, c.tokens), ref);
      for (size_t i = 0; i < y.size(); ++i) {
        if (y[i] != ref[i] && !(std::isnan(y[i]) && std::isnan(ref[i])))
          ++res.mismatches;
        res.max_abs_error =
            std::max(res.max_abs_error, std::fabs(static_cast<double>(y[i]) - ref[i]));
      }
    } else {
      ReferenceGemmF32(w, x, c.tokens, ref);
      for (size_t t = 0; t < c.tokens; ++t) {
        double abs_sum = 0;
        for (size_t i = 0; i < c.k; ++i) abs_sum += std::fabs(x[t * c.k + i]);
        const double tol = FloatTolerance(c.k, abs_sum, w.scale());
        for (size_t r = 0; r < c.m; ++r) {
          const double err = std::fabs(static_cast<double>(y[t * c.m + r]) - ref[t * c.m + r]);
          if (!(err <= tol)) ++res.mismatches;
          res.max_abs_error = std::max(res.max_abs_error, err);
        }
      }
    }
    res.ok = res.mismatches == 0;
  } catch (const std::exception& e) {
    res.ok = false;
    res.error = e.what();
  }
  return res;
}

}  // namespace rsr::harness
