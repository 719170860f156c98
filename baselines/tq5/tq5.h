// tq5: five ternary weights per byte (1.6 bits/weight, exact int8
// activations) as a registry kernel. Format and scalar twins: tq5_format.h.
#pragma once

#include <memory>

#include "rsr/kernel.h"

namespace rsr {

std::unique_ptr<Kernel> MakeTq5(const KernelOptions& options);

}  // namespace rsr
