// Built with -O0 (harness/CMakeLists.txt): the paper measured its C++ without
// an optimisation flag. The code is deliberately plain -- nested vectors,
// operator[], a fresh result vector per call -- like the paper's, so the
// -O0 timings are comparable with its tables. Speed is not the point here.
#include "harness/paper/paper_rsr.h"

#include <string>

#include "rsr/error.h"

namespace rsr::paper {

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
  if (k < 1 || k > 16)
    throw Error("k", "must be in 1..16, got " + std::to_string(k));
  if (a.empty() || a[0].empty()) throw Error("a", "empty matrix");
  PaperRsrIndex index;
  index.k = k;
  index.n_rows = a.size();
  index.n_cols = a[0].size();
  for (size_t j = 0; j < a.size(); j++) {
    if (a[j].size() != index.n_cols) throw Error("a", "rows differ in length");
    for (size_t i = 0; i < a[j].size(); i++)
      if (a[j][i] != 0 && a[j][i] != 1)
        throw Error("a", "entry (" + std::to_string(j) + ", " +
                             std::to_string(i) + ") is not 0 or 1");
  }
  const size_t buckets = size_t{1} << k;
  index.bk.assign(buckets, std::vector<int>(k, 0));
  for (size_t c = 0; c < buckets; c++)
    for (int t = 0; t < k; t++) index.bk[c][t] = (c >> (k - 1 - t)) & 1;

  const size_t blocks = (index.n_cols + k - 1) / k;
  std::vector<size_t> code(index.n_rows);
  for (size_t b = 0; b < blocks; b++) {
    std::vector<int64_t> count(buckets + 1, 0);
    for (size_t j = 0; j < index.n_rows; j++) {
      size_t c = 0;
      for (int t = 0; t < k; t++) {
        const size_t col = b * k + t;
        const int bit = col < index.n_cols ? a[j][col] : 0;
        c = c * 2 + bit;
      }
      code[j] = c;
      count[c + 1]++;
    }
    // count -> bucket starts (the segment list).
    for (size_t c = 0; c < buckets; c++) count[c + 1] += count[c];
    std::vector<int64_t> permutation(index.n_rows);
    std::vector<int64_t> next(count.begin(), count.end() - 1);
    for (size_t j = 0; j < index.n_rows; j++)
      permutation[next[code[j]]++] = static_cast<int64_t>(j);
    index.permutations.push_back(permutation);
    index.segments.push_back(count);
  }
  return index;
}

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
