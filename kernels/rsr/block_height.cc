// Block-height rules of the RSR family (rsr.h): the k each kernel uses when
// KernelOptions::k is 0, with the measurements behind them.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/rsr/rsr.h"
#include "kernels/rsr/rsr_index.h"

namespace rsr {

int RsrPaperK(size_t cols) { return rsr_index::PaperK(cols); }

namespace {

// argmin_k (K + cost(k)) / k over k in 1..12: additions per row of the
// segmented sums plus the block product, the model behind the defaults.
template <class Cost>
int ArgminAdds(size_t cols, const Cost& cost) {
  int best = 1;
  double best_adds = 1e300;
  for (int k = 1; k <= 12; ++k) {
    const double adds = (static_cast<double>(cols) + cost(k)) / k;
    if (adds < best_adds) best_adds = adds, best = k;
  }
  return best;
}

}  // namespace

int RsrDefaultK(size_t cols) {
  return ArgminAdds(cols, [](int k) { return double(k) * (1 << k); });
}
int RsrppDefaultK(size_t cols) {
  return ArgminAdds(cols, [](int k) { return 2.0 * (1 << k); });
}

// Default k: about 9 columns per bucket, i.e. k = round(log3 K) - 2 for
// base-3 codes (k = round(log2 K) - 3 for binary). GEMV sweep, int8, 1 thread,
// CPU-time minimum (ms), rsrpp-simd at k = 4 / 5 / 6 / 7:
//   2560^2 0.54 / 0.48 / 0.52 / 0.75      (rule: 5)
//   4096^2 1.44 / 1.22 / 1.22 / 1.57      (rule: 6)
//   8192^2 7.20 / 5.85 / 5.41 / 5.62      (rule: 6)
//   1024x65536, k = 6 / 7 / 8: 4.62 / 3.97 / 3.73   (rule: 8)
// Gemm prefers one less at N >= 32 (4096^2, N=128: k=5 15.1 ms, k=6 19.2),
// but k is fixed at Prepare and decode (N = 1) dominates, so the rule follows
// the GEMV optimum. The binary rule is the same "~9 columns per bucket"
// by analogy, not separately swept.
int RsrppSimdDefaultK(size_t cols, bool binary) {
  const double l2 = std::log2(static_cast<double>(std::max<size_t>(cols, 1)));
  const int k = binary ? static_cast<int>(std::lround(l2)) - 3
                       : static_cast<int>(std::lround(l2 / std::log2(3.0))) - 2;
  return std::clamp(k, 1, binary ? 12 : 8);
}

}  // namespace rsr
