// The RSR family (docs/algorithms.md §1-4): registry factories and the
// block-height rules.
//
//   rsr         scalar reference of the paper: index per row block of k rows,
//               segmented sums, k*2^k block product. Ternary in the paper's
//               form (planes B+ and B-, subtract); binary {0,1} uses B+ only.
//   rsrpp       scalar RSR++: same index, the halving fold (~2*2^k adds).
//   rsrpp-simd  Highway SIMD + OpenMP, unified one-pass ternary index
//               (base-3 codes, base-3 fold), token-tiled native Gemm.
//
// All three: int8 activations (exact int32 sums, default) and float
// activations (float sums); any M >= 1, K in 1..kMaxCols (uint16 index when
// K <= 65535, uint32 beyond); k in 1..16 (0 = the per-shape rule below;
// rsrpp-simd ternary accepts k <= 12, throwing rsr::Error("k") beyond).
#pragma once

#include <cstddef>
#include <memory>

#include "rsr/kernel.h"

namespace rsr {

std::unique_ptr<Kernel> MakeRsr(const KernelOptions& options);
std::unique_ptr<Kernel> MakeRsrpp(const KernelOptions& options);
std::unique_ptr<Kernel> MakeRsrppSimd(const KernelOptions& options);

// The paper's theoretical block height k = log2 K - log2 log2 K (rounded).
int RsrPaperK(size_t cols);
// Per-shape defaults used when KernelOptions::k == 0 (block_height.cc, with
// the measurements behind them).
int RsrDefaultK(size_t cols);    // rsr: argmin_k (K + k 2^k) / k
int RsrppDefaultK(size_t cols);  // rsrpp: argmin_k (K + 2 2^k) / k
int RsrppSimdDefaultK(size_t cols, bool binary);
// rsrpp-simd's int8 GEMM (N >= 2) block height: at least 12 columns per
// bucket, floor(log3(K / 12)) (log2 for binary).
int RsrppSimdGemmK(size_t cols, bool binary);

}  // namespace rsr
