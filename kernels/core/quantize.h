// The halves of QuantizeActivations (rsr/quant.h), so that Kernel::Gemm
// checks its arguments once and then quantizes without checking again.
#pragma once

#include <cstddef>

#include "rsr/quant.h"

namespace rsr {

// Throws rsr::Error("x" / "tokens") unless 1 <= cols, 1 <= tokens <=
// kMaxTokens and x_size == tokens * cols.
void CheckActivationShape(size_t x_size, size_t cols, size_t tokens);

// QuantizeActivations for arguments CheckActivationShape accepted; still
// throws rsr::Error("x") on NaN/Inf (found while quantizing).
QuantizedActivations QuantizeChecked(const float* x, size_t cols,
                                     size_t tokens);

}  // namespace rsr
