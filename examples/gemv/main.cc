// Prepare a ternary matrix once, multiply many times: the library in a dozen
// lines. Prints y[0..3] and checks them against the reference.
#include <cstdio>
#include <vector>

#include "rsr/rsr.h"

int main() {
  const rsr::TernaryMatrix w = rsr::RandomTernary(2560, 2560, /*seed=*/1);
  auto kernel = rsr::CreateKernel("i2s", {.threads = 2});
  kernel->Prepare(w);  // pack the weights once
  const std::vector<float> x = rsr::RandomActivations(w.cols(), /*seed=*/2);
  std::vector<float> y(w.rows());
  kernel->Gemv(x, y);  // y = W x, int8 activations quantized inside
  const rsr::ReferenceCheck check = rsr::CheckAgainstReference(
      w, x, 1, kernel->activations(), y);
  std::printf("%s: y[0..3] = %g %g %g %g, %zu bytes, %s\n",
              kernel->Name().c_str(), y[0], y[1], y[2], y[3],
              kernel->PreparedBytes(), check.ok() ? "exact" : "MISMATCH");
  return check.ok() ? 0 : 1;
}
