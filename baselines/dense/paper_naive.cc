// Built with -O0 (see baselines/CMakeLists.txt): the paper measured its C++
// without an optimisation flag, and this loop reproduces that condition.
#include "baselines/dense/dense.h"

namespace rsr {

PaperMatrix ToPaperMatrix(const TernaryMatrix& w) {
  PaperMatrix a(w.cols(), std::vector<int>(w.rows()));
  for (size_t r = 0; r < w.rows(); ++r)
    for (size_t c = 0; c < w.cols(); ++c) a[c][r] = w.at(r, c);
  return a;
}

std::vector<int> PaperNaiveMultiply(const std::vector<int>& v,
                                    const PaperMatrix& a) {
  const size_t n_rows = a.size();
  const size_t n_cols = n_rows ? a[0].size() : 0;
  std::vector<int> r(n_cols, 0);
  for (size_t i = 0; i < n_cols; i++) {
    for (size_t j = 0; j < n_rows; j++) {
      r[i] += v[j] * a[j][i];
    }
  }
  return r;
}

}  // namespace rsr
