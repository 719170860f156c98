// The paper's naive loop, unoptimised on purpose: see paper_naive.h.
#if defined(__OPTIMIZE__)
#error "paper_naive.cc must be built with -O0 (harness/paper/CMakeLists.txt)"
#endif

#include "harness/paper/paper_naive.h"

namespace rsr::paper {

std::vector<int> PaperNaiveMultiply(const std::vector<int>& v,
                                    const PaperMatrix& a) {
  // int indices and the bound taken from v, as the authors' loop has them.
  const int n = static_cast<int>(v.size());
  std::vector<int> r(n, 0);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      r[i] += v[j] * a[j][i];
    }
  }
  return r;
}

}  // namespace rsr::paper
