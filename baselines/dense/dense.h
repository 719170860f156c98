// Dense baselines (float activations): factories for the registry. (The
// paper's own naive loop lives with the rest of the paper code in
// harness/paper/.)
#pragma once

#include <memory>

#include "rsr/kernel.h"

namespace rsr {

std::unique_ptr<Kernel> MakeDenseNaive(const KernelOptions& options);
std::unique_ptr<Kernel> MakeDenseF32(const KernelOptions& options);

}  // namespace rsr
