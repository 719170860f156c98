// i2s: bitnet.cpp's I2_S format (2 bits/weight, exact int8 activations) as
// a registry kernel. Format and scalar twins: i2s_format.h.
#pragma once

#include <memory>

#include "rsr/kernel.h"

namespace rsr {

std::unique_ptr<Kernel> MakeI2s(const KernelOptions& options);

}  // namespace rsr
