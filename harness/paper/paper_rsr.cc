// The lean RSR / RSR++ products, unoptimised on purpose (paper_rsr.h): nested
// vectors, operator[], a fresh result vector per call, like the paper's code.
#if defined(__OPTIMIZE__)
#error "paper_rsr.cc must be built with -O0 (harness/paper/CMakeLists.txt)"
#endif

#include "harness/paper/paper_rsr.h"

#include <string>

#include "rsr/error.h"

namespace rsr::paper {

namespace {

void CheckV(const std::vector<int>& v, const PaperRsrIndex& index) {
  if (index.permutations.empty()) throw Error("index", "not prepared");
  if (v.size() != index.n_rows)
    throw Error("v", "size " + std::to_string(v.size()) +
                         " != " + std::to_string(index.n_rows));
}

// Step 1 of both algorithms: u[c] = sum of v over bucket c.
void SegmentedSums(const std::vector<int>& v, const std::vector<int64_t>& perm,
                   const std::vector<int64_t>& seg, std::vector<int>& u) {
  for (size_t c = 0; c + 1 < seg.size(); c++) {
    const int64_t begin = seg[c];
    const int64_t end = seg[c + 1];
    int sum = 0;
    for (int64_t p = begin; p < end; p++) sum += v[perm[p]];
    u[c] = sum;
  }
}

}  // namespace

std::vector<int> PaperRsrMultiply(const std::vector<int>& v,
                                  const PaperRsrIndex& index) {
  CheckV(v, index);
  const int k = index.k;
  const size_t buckets = size_t{1} << k;
  std::vector<int> r(index.n_cols, 0);
  std::vector<int> u(buckets, 0);
  for (size_t b = 0; b < index.permutations.size(); b++) {
    SegmentedSums(v, index.permutations[b], index.segments[b], u);
    // u^T B_k: k * 2^k multiply-adds.
    for (int t = 0; t < k; t++) {
      const size_t col = b * k + t;
      if (col >= index.n_cols) break;
      int sum = 0;
      for (size_t c = 0; c < buckets; c++) sum += u[c] * index.bk[c][t];
      r[col] = sum;
    }
  }
  return r;
}

std::vector<int> PaperRsrPlusPlusMultiply(const std::vector<int>& v,
                                          const PaperRsrIndex& index) {
  CheckV(v, index);
  const int k = index.k;
  const size_t buckets = size_t{1} << k;
  std::vector<int> r(index.n_cols, 0);
  std::vector<int> u(buckets, 0);
  for (size_t b = 0; b < index.permutations.size(); b++) {
    SegmentedSums(v, index.permutations[b], index.segments[b], u);
    // Halving fold: the last column of the block is the sum over odd codes;
    // then pairs merge and the next column up is read the same way.
    size_t len = buckets;
    for (int t = k - 1; t >= 0; t--) {
      int odd = 0;
      for (size_t c = 1; c < len; c += 2) odd += u[c];
      const size_t col = b * k + t;
      if (col < index.n_cols) r[col] = odd;
      for (size_t c = 0; c < len / 2; c++) u[c] = u[2 * c] + u[2 * c + 1];
      len /= 2;
    }
  }
  return r;
}

}  // namespace rsr::paper
