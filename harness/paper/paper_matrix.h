// The RSR paper's data, as its C++ holds it (docs/algorithms.md §6): r = v^T A
// with A a binary n_rows x n_cols matrix stored as vector<vector<int>> (row j
// of A is one heap block) and v an int vector. In this project's terms A = W^T:
// r = W v. Generators, conversion and an optimised reference product live here
// (paper_matrix.cc, built with the project's flags); the paper's own timed
// loops are in the -O0 files beside it (paper_naive.h, paper_faithful.h,
// paper_rsr.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rsr/matrix.h"

namespace rsr::paper {

using PaperMatrix = std::vector<std::vector<int>>;

// The paper's distributions: A entries 0/1 with P(1) = kOneProbability, v
// entries uniform integers in [0, kVectorMax].
inline constexpr double kOneProbability = 0.5;
inline constexpr int kVectorMax = 100;

// A = W^T as vector<vector<int>> (binary or ternary entries).
PaperMatrix ToPaperMatrix(const TernaryMatrix& w);

// A fresh n x n binary A (P(1) = kOneProbability), seeded; rows allocated in
// order, like the paper's generator. Throws rsr::Error("n") for n == 0.
PaperMatrix RandomPaperMatrix(size_t n, uint64_t seed);

// n ints uniform in [0, kVectorMax], seeded.
std::vector<int> RandomIntVector(size_t n, uint64_t seed);

// r = v^T A, optimised (row-major walk): the check for the -O0 products.
// Throws rsr::Error("v") when v.size() != a.size().
std::vector<int> ReferenceProduct(const std::vector<int>& v,
                                  const PaperMatrix& a);

}  // namespace rsr::paper
