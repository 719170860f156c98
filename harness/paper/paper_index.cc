// The paper's index builders and memory formulas. Optimised (the project's
// flags): the authors build the index before their timer starts, so its
// speed is not measured, and at n = 2^15 the std::sort-based build would take
// minutes unoptimised.
#include <algorithm>
#include <climits>
#include <numeric>
#include <string>

#include "harness/paper/paper_faithful.h"
#include "harness/paper/paper_rsr.h"
#include "rsr/error.h"

namespace rsr::paper {
namespace {

// Shape and value checks shared by both builders; returns n_cols.
size_t CheckPaperMatrix(const PaperMatrix& a, int k) {
  if (k < 1 || k > 16)
    throw Error("k", "must be in 1..16, got " + std::to_string(k));
  if (a.empty() || a[0].empty()) throw Error("a", "empty matrix");
  const size_t n_cols = a[0].size();
  for (size_t j = 0; j < a.size(); j++) {
    if (a[j].size() != n_cols) throw Error("a", "rows differ in length");
    for (size_t i = 0; i < n_cols; i++)
      if (a[j][i] != 0 && a[j][i] != 1)
        throw Error("a", "entry (" + std::to_string(j) + ", " +
                             std::to_string(i) + ") is not 0 or 1");
  }
  return n_cols;
}

// Calls fn(b, code) for every block b in order, where code[j] = sum_t
// A[j][b*k + t] * 2^(k-1-t) (first column = MSB; columns past n_cols count as
// zeros). Codes are computed kChunk blocks at a time, row by row, so A's rows
// are read sequentially: one block at a time walks A by columns, a cache and
// TLB miss per row and block (9 s of the 10 s index build at n = 2^15, Zen 5).
template <typename Fn>
void ForEachBlockCodes(const PaperMatrix& a, int k, Fn&& fn) {
  constexpr size_t kChunk = 64;
  const size_t n_rows = a.size(), n_cols = a[0].size();
  const size_t blocks = (n_cols + k - 1) / k;
  std::vector<std::vector<int>> codes(std::min(kChunk, blocks),
                                      std::vector<int>(n_rows));
  for (size_t b0 = 0; b0 < blocks; b0 += kChunk) {
    const size_t b1 = std::min(blocks, b0 + kChunk);
    for (size_t j = 0; j < n_rows; j++) {
      const std::vector<int>& row = a[j];
      for (size_t b = b0; b < b1; b++) {
        int c = 0;
        for (int t = 0; t < k; t++) {
          const size_t col = b * k + t;
          c = c * 2 + (col < n_cols ? row[col] : 0);
        }
        codes[b - b0][j] = c;
      }
    }
    for (size_t b = b0; b < b1; b++) fn(b, codes[b - b0]);
  }
}

}  // namespace

FaithfulIndex FaithfulPreprocess(const PaperMatrix& a, int k) {
  FaithfulIndex index;
  index.n_cols = CheckPaperMatrix(a, k);
  // B_k is 2^k x 2^k ints here: 64 MiB at k = 12, 16 GiB at k = 16.
  if (k > kFaithfulMaxK)
    throw Error("k",
                "faithful RSR multiplies by a 2^k x 2^k B_k: k must be "
                "in 1.." +
                    std::to_string(kFaithfulMaxK) + ", got " +
                    std::to_string(k));
  if (a.size() > static_cast<size_t>(INT_MAX))
    throw Error("a", "more than INT_MAX rows (int permutations)");
  index.k = k;
  index.n_rows = a.size();
  const size_t buckets = size_t{1} << k;
  index.bin_k.assign(buckets, std::vector<int>(buckets, 0));
  for (size_t c = 0; c < buckets; c++)
    for (int t = 0; t < k; t++) index.bin_k[c][t] = (c >> (k - 1 - t)) & 1;

  const size_t blocks = (index.n_cols + k - 1) / k;
  const int n = static_cast<int>(index.n_rows);
  index.permutations.reserve(blocks);
  index.segments.reserve(blocks);
  ForEachBlockCodes(a, k, [&](size_t, const std::vector<int>& code) {
    // The authors' ordering: identity sorted by code with std::sort, so rows
    // within a bucket come in introsort's (scrambled) order, not ascending.
    std::vector<int> permutation(index.n_rows);
    std::iota(permutation.begin(), permutation.end(), 0);
    std::sort(permutation.begin(), permutation.end(),
              [&code](int x, int y) { return code[x] < code[y]; });
    // Bucket c starts after every row with a smaller code (an empty bucket
    // starts where the next non-empty one does, as in the authors' list).
    std::vector<int> segment(buckets, 0);
    for (int j = 0; j < n; j++)
      if (code[j] + 1 < static_cast<int>(buckets)) segment[code[j] + 1]++;
    for (size_t c = 1; c < buckets; c++) segment[c] += segment[c - 1];
    index.permutations.push_back(std::move(permutation));
    index.segments.push_back(std::move(segment));
  });
  return index;
}

void CheckFaithfulVector(const std::vector<int>& v,
                         const FaithfulIndex& index) {
  if (index.permutations.empty()) throw Error("index", "not prepared");
  if (v.size() != index.n_rows)
    throw Error("v", "size " + std::to_string(v.size()) +
                         " != " + std::to_string(index.n_rows));
}

size_t PaperRsrIndex::IndexBytes() const {
  size_t bytes = 0;
  for (size_t b = 0; b < permutations.size(); b++)
    bytes += permutations[b].size() * sizeof(int64_t);
  for (size_t b = 0; b < segments.size(); b++)
    bytes += segments[b].size() * sizeof(int64_t);
  return bytes;
}

size_t PaperDenseInt64Bytes(size_t n_rows, size_t n_cols) {
  return n_rows * n_cols * sizeof(int64_t);
}

size_t PaperIndexInt64Bytes(size_t n_rows, size_t n_cols, int k) {
  const size_t blocks = (n_cols + k - 1) / k;
  return blocks * (n_rows + (size_t{1} << k) + 1) * sizeof(int64_t);
}

PaperRsrIndex PaperRsrPreprocess(const PaperMatrix& a, int k) {
  PaperRsrIndex index;
  index.n_cols = CheckPaperMatrix(a, k);
  index.k = k;
  index.n_rows = a.size();
  const size_t buckets = size_t{1} << k;
  index.bk.assign(buckets, std::vector<int>(k, 0));
  for (size_t c = 0; c < buckets; c++)
    for (int t = 0; t < k; t++) index.bk[c][t] = (c >> (k - 1 - t)) & 1;

  ForEachBlockCodes(a, k, [&](size_t, const std::vector<int>& code) {
    // Counting sort: rows within a bucket in ascending order.
    std::vector<int64_t> count(buckets + 1, 0);
    for (size_t j = 0; j < index.n_rows; j++) count[code[j] + 1]++;
    for (size_t c = 0; c < buckets; c++) count[c + 1] += count[c];
    std::vector<int64_t> permutation(index.n_rows);
    std::vector<int64_t> next(count.begin(), count.end() - 1);
    for (size_t j = 0; j < index.n_rows; j++)
      permutation[next[code[j]]++] = static_cast<int64_t>(j);
    index.permutations.push_back(std::move(permutation));
    index.segments.push_back(std::move(count));
  });
  return index;
}

}  // namespace rsr::paper
