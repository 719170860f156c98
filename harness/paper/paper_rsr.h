// The RSR paper's algorithms (docs/algorithms.md §1, §2, §6) in a LEAN -O0
// transcription: the paper's data (vector<vector<int>> A, int vectors) and
// int64 permutation indices (the basis of the paper's "up to 6x less
// memory"), but a local accumulator per bucket, references instead of
// copies, no pow and a k x 2^k block product. The authors' code does about twice this
// work at -O0 (paper_faithful.h); `rsr-bench paper` reports both, labelled
// "lean -O0" and "faithful". The products (paper_rsr.cc) are built without
// optimisation; the index (paper_index.cc) with it, outside the timed region.
// Not a kernel for real use: see kernels/rsr for that.
//
// Index (per block of k consecutive columns of A = k rows of W):
//   code(j)      = sum_t A[j][b*k + t] * 2^(k-1-t)  (first column = MSB)
//   permutation  = rows j of A sorted by code (counting sort, ascending j)
//   segments     = 2^k + 1 offsets into the permutation, one bucket per code
// Columns past n_cols in the last block count as zeros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "harness/paper/paper_matrix.h"

namespace rsr::paper {

struct PaperRsrIndex {
  int k = 0;
  size_t n_rows = 0;                               // length of v (K)
  size_t n_cols = 0;                               // length of r (M)
  std::vector<std::vector<int64_t>> permutations;  // per block, n_rows each
  std::vector<std::vector<int64_t>> segments;      // per block, 2^k + 1 each
  // The paper's B_k: 2^k x k, row c holds the bits of c (MSB first); RSR's
  // block product multiplies the segment sums by it.
  std::vector<std::vector<int>> bk;

  // Bytes of permutations + segments (int64), what the paper's memory claim
  // counts; B_k is shared and small.
  size_t IndexBytes() const;
};

// Throws rsr::Error("a") when `a` is empty, ragged or not binary {0,1}, and
// rsr::Error("k") when k is outside 1..16.
PaperRsrIndex PaperRsrPreprocess(const PaperMatrix& a, int k);

// RSR: segmented sums, then the k * 2^k block product with B_k.
// Throws rsr::Error("v") when v.size() != index.n_rows.
std::vector<int> PaperRsrMultiply(const std::vector<int>& v,
                                  const PaperRsrIndex& index);
// RSR++: segmented sums, then the halving fold (about 2 * 2^k adds).
std::vector<int> PaperRsrPlusPlusMultiply(const std::vector<int>& v,
                                          const PaperRsrIndex& index);

// The paper's memory comparison, int64 everywhere: a dense n_rows x n_cols
// int64 matrix against the permutation + segment index at block size k.
size_t PaperDenseInt64Bytes(size_t n_rows, size_t n_cols);
size_t PaperIndexInt64Bytes(size_t n_rows, size_t n_cols, int k);

}  // namespace rsr::paper
