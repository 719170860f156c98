// RSR and RSR++ as the authors' public code runs them (UIC-InDeXLab/RSR,
// native/, built by its run.sh with `clang++ *.cpp`, i.e. -O0), transcribed
// by us from its behaviour. What their timed region does, and so ours:
//   * the input vector and (RSR) the B_k matrix are passed BY VALUE: one copy
//     of each per call;
//   * the segment sums go in place into a freshly allocated nested vector,
//     us[block][bucket] += v[perm[p]];
//   * for every block, the block's segment list and permutation are COPIED
//     into function-level vectors before use;
//   * permutations and segment offsets are `int`;
//   * RSR multiplies each block's 2^k sums by B_k with the naive
//     vector-matrix loop, whose bound comes from the vector: 2^k x 2^k
//     multiply-adds, not k x 2^k. The authors' B_k rows hold k ints, so their
//     loop reads past each row; ours holds 2^k columns, zero beyond k, so it
//     does the same work in bounds;
//   * RSR++ folds each block's sums in a helper that takes them by value and
//     evaluates pow(2, i) in both of its loop conditions, every iteration.
// The index is built like theirs -- rows sorted by block code with std::sort
// (not stable), bucket starts with empty buckets pointing at the next one --
// but outside the timed region and by optimised code (paper_index.cc); only
// the products (paper_faithful.cc) are -O0.
//
// Columns past n_cols in the last block count as zeros (the authors pad the
// matrix with zero rows and columns to a multiple of k); the products return
// blocks * k entries, of which the first n_cols are r.
#pragma once

#include <cstddef>
#include <vector>

#include "harness/paper/paper_matrix.h"

namespace rsr::paper {

struct FaithfulIndex {
  int k = 0;
  size_t n_rows = 0;  // length of v
  size_t n_cols = 0;  // length of r
  // Per block: the n_rows row numbers sorted by code, and 2^k bucket starts
  // (bucket c runs to the next start, the last one to n_rows).
  std::vector<std::vector<int>> permutations;
  std::vector<std::vector<int>> segments;
  // B_k, 2^k x 2^k: row c holds the bits of c (MSB first) in columns 0..k-1,
  // zeros after.
  PaperMatrix bin_k;
};

inline constexpr int kFaithfulMaxK = 12;

// Throws rsr::Error("a") when `a` is empty, ragged, not binary or has more
// than INT_MAX rows, and rsr::Error("k") when k is outside 1..kFaithfulMaxK.
FaithfulIndex FaithfulPreprocess(const PaperMatrix& a, int k);

// The timed calls, with the authors' argument passing. v must have n_rows
// entries (not checked: this is the timed region; see CheckFaithfulVector).
std::vector<int> FaithfulRsrMultiply(
    std::vector<int> v, const std::vector<std::vector<int>>& permutations,
    const std::vector<std::vector<int>>& segments, PaperMatrix bin_k, int k);
std::vector<int> FaithfulRsrPlusPlusMultiply(
    std::vector<int> v, const std::vector<std::vector<int>>& permutations,
    const std::vector<std::vector<int>>& segments, int k);

// Throws rsr::Error("v") when v.size() != index.n_rows.
void CheckFaithfulVector(const std::vector<int>& v, const FaithfulIndex& index);

}  // namespace rsr::paper
