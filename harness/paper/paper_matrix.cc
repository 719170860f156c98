#include "harness/paper/paper_matrix.h"

#include <cmath>
#include <random>
#include <string>

#include "rsr/error.h"

namespace rsr::paper {

PaperMatrix ToPaperMatrix(const TernaryMatrix& w) {
  PaperMatrix a(w.cols(), std::vector<int>(w.rows()));
  for (size_t r = 0; r < w.rows(); ++r)
    for (size_t c = 0; c < w.cols(); ++c) a[c][r] = w.at(r, c);
  return a;
}

PaperMatrix RandomPaperMatrix(size_t n, uint64_t seed) {
  if (n == 0) throw Error("n", "must be > 0");
  std::mt19937_64 rng(seed);
  // 16 random bits per entry, four entries per draw (as rsr::RandomBinary):
  // at n = 2^15 this fills 2^30 entries in ~3 s instead of ~10 s.
  const uint32_t one_below =
      static_cast<uint32_t>(std::lround(kOneProbability * 65536.0));
  PaperMatrix a(n, std::vector<int>(n));
  for (auto& row : a) {
    for (size_t i = 0; i < n; i += 4) {
      uint64_t bits = rng();
      for (size_t j = i; j < i + 4 && j < n; ++j, bits >>= 16)
        row[j] = static_cast<uint32_t>(bits & 0xFFFF) < one_below ? 1 : 0;
    }
  }
  return a;
}

std::vector<int> RandomIntVector(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(0, kVectorMax);
  std::vector<int> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<int> ReferenceProduct(const std::vector<int>& v,
                                  const PaperMatrix& a) {
  if (v.size() != a.size())
    throw Error("v", "size " + std::to_string(v.size()) + " != matrix rows " +
                         std::to_string(a.size()));
  std::vector<int> r(a.empty() ? 0 : a[0].size(), 0);
  for (size_t j = 0; j < a.size(); ++j) {
    const int vj = v[j];
    const std::vector<int>& row = a[j];
    if (row.size() != r.size()) throw Error("a", "rows differ in length");
    for (size_t i = 0; i < r.size(); ++i) r[i] += vj * row[i];
  }
  return r;
}

}  // namespace rsr::paper
