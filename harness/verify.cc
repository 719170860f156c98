#include "harness/verify.h"

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
    const TernaryMatrix w = c.binary
                                ? RandomBinary(c.m, c.k, seed, 0.5, 0.75f)
                                : RandomTernary(c.m, c.k, seed, 1.0 / 3, 0.75f);
    const std::vector<float> x = RandomActivations(c.k * c.tokens, seed + 1);
    kernel->Prepare(w);
    std::vector<float> y(c.m * c.tokens);
    kernel->Gemm(x, c.tokens, y);
    res.activations = ActivationTypeName(kernel->activations());
    const ReferenceCheck check =
        CheckAgainstReference(w, x, c.tokens, kernel->activations(), y);
    res.mismatches = check.mismatches;
    res.max_abs_error = check.max_abs_error;
    res.ok = res.mismatches == 0;
  } catch (const std::exception& e) {
    res.ok = false;
    res.error = e.what();
  }
  return res;
}

}  // namespace rsr::harness
