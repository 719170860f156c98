// RSR and RSR++ as the authors' code runs them, unoptimised on purpose: see
// paper_faithful.h for what the timed region does and why.
#if defined(__OPTIMIZE__)
#error "paper_faithful.cc must be built with -O0 (harness/paper/CMakeLists.txt)"
#endif

#include "harness/paper/paper_faithful.h"

#include <cmath>

#include "harness/paper/paper_naive.h"

namespace rsr::paper {
namespace {

// RSR++'s step 3 for one block: the sum over odd buckets is the block's last
// column; merging bucket pairs halves the list and exposes the next column.
// The sums arrive by value and the loop bounds are pow(2, level) doubles,
// evaluated on every test, as in the authors' helper.
std::vector<int> FoldBlock(std::vector<int> sums, int k) {
  std::vector<int> columns(k);
  int odd_total;
  for (int level = k; level > 0; level--) {
    odd_total = 0;
    for (int c = 1; c < std::pow(2, level); c += 2) odd_total += sums[c];
    columns[level - 1] = odd_total;
    for (int c = 0; c < std::pow(2, level - 1); c++)
      sums[c] = sums[2 * c] + sums[2 * c + 1];
  }
  return columns;
}

// Step 1 of both algorithms, into us[block][bucket], with the per-block
// copies of the segment list and permutation.
void SegmentSums(const std::vector<int>& v,
                 const std::vector<std::vector<int>>& permutations,
                 const std::vector<std::vector<int>>& segments,
                 std::vector<std::vector<int>>& us) {
  const int n = permutations[0].size();
  int begin;
  int end;
  std::vector<int> segment;
  std::vector<int> permutation;
  for (size_t b = 0; b < permutations.size(); b++) {
    segment = segments[b];
    permutation = permutations[b];
    for (size_t c = 0; c < segment.size(); c++) {
      begin = segment[c];
      if (c < segment.size() - 1) {
        end = segment[c + 1];
      } else {
        end = n;
      }
      for (int p = begin; p < end; p++) {
        us[b][c] += v[permutation[p]];
      }
    }
  }
}

}  // namespace

std::vector<int> FaithfulRsrMultiply(
    std::vector<int> v, const std::vector<std::vector<int>>& permutations,
    const std::vector<std::vector<int>>& segments, PaperMatrix bin_k, int k) {
  std::vector<std::vector<int>> us(permutations.size(),
                                   std::vector<int>(std::pow(2, k)));
  SegmentSums(v, permutations, segments, us);
  std::vector<int> result(permutations.size() * k);
  std::vector<int> block_result;
  for (size_t b = 0; b < us.size(); b++) {
    // 2^k x 2^k multiply-adds against the zero-padded B_k.
    block_result = PaperNaiveMultiply(us[b], bin_k);
    for (int t = 0; t < k; t++) result[b * k + t] = block_result[t];
  }
  return result;
}

std::vector<int> FaithfulRsrPlusPlusMultiply(
    std::vector<int> v, const std::vector<std::vector<int>>& permutations,
    const std::vector<std::vector<int>>& segments, int k) {
  std::vector<std::vector<int>> us(permutations.size(),
                                   std::vector<int>(std::pow(2, k)));
  SegmentSums(v, permutations, segments, us);
  std::vector<int> result(permutations.size() * k);
  std::vector<int> block_result;
  for (size_t b = 0; b < us.size(); b++) {
    block_result = FoldBlock(us[b], k);
    for (int t = 0; t < k; t++) result[b * k + t] = block_result[t];
  }
  return result;
}

}  // namespace rsr::paper
