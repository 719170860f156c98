// Dense baselines (float activations): factories for the registry, and the
// paper's own naive loop for the reproduction (not in the registry).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rsr/kernel.h"

namespace rsr {

std::unique_ptr<Kernel> MakeDenseNaive(const KernelOptions& options);
std::unique_ptr<Kernel> MakeDenseF32(const KernelOptions& options);

// The paper's naive product, as the paper wrote it (RSR paper, section 6):
// r = v^T A with A stored as vector<vector<int>> (A is K x M, i.e. W^T),
// r[i] += v[j] * A[j][i] with j the inner loop, so the inner loop walks down a
// column of A. Compiled without optimisation (its own translation unit, -O0)
// to reproduce the paper's conditions. Binary or ternary int entries.
using PaperMatrix = std::vector<std::vector<int>>;
PaperMatrix ToPaperMatrix(const TernaryMatrix& w);  // A = W^T
std::vector<int> PaperNaiveMultiply(const std::vector<int>& v,
                                    const PaperMatrix& a);

}  // namespace rsr
