// Test only: a kernel that does a registry kernel's work 1 + extra_calls
// times per call, so that tests can show `rsr-bench regress` (timing and
// counts modes) failing on a slowdown without a hook in the public Kernel API.
#pragma once

#include <memory>

#include "rsr/kernel.h"

namespace rsr::harness {

// Wraps `inner` (not yet prepared): Name, Caps and PreparedBytes are inner's;
// Prepare prepares inner; each Gemm calls inner's public Gemm 1 + extra_calls
// times (quantization included, so every part of the call is repeated).
// extra_calls >= 0.
std::unique_ptr<Kernel> MakeSlowedKernel(std::unique_ptr<Kernel> inner,
                                         int extra_calls);

}  // namespace rsr::harness
