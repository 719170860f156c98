// Documented shape limits shared by every kernel.
//
// K is bounded so that the exact int8 dot product fits int32 for every input:
// |D| <= 128 * K < 2^31 needs K < 2^24; we stop at 2^20 to leave room for
// kernels that accumulate partial sums in wider groups. Individual kernels may
// lower these (RSR with uint16 permutations: K <= 65536) and report it through
// KernelCaps.
#pragma once

#include <cstddef>

namespace rsr {

inline constexpr size_t kMaxRows = size_t{1} << 24;    // M
inline constexpr size_t kMaxCols = size_t{1} << 20;    // K
inline constexpr size_t kMaxWeights = size_t{1} << 34;  // M*K (16 GiB of int8)
inline constexpr size_t kMaxTokens = size_t{1} << 16;  // N per Gemm call

}  // namespace rsr
