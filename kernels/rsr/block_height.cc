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
// The binary rule is the same "~9 columns per bucket" by analogy, not
// separately swept. GEMM (N >= 2) has its own rule below and its own
// (padded) index.
int RsrppSimdDefaultK(size_t cols, bool binary) {
  const double l2 = std::log2(static_cast<double>(std::max<size_t>(cols, 1)));
  const int k = binary ? static_cast<int>(std::lround(l2)) - 3
                       : static_cast<int>(std::lround(l2 / std::log2(3.0))) - 2;
  return std::clamp(k, 1, binary ? 12 : 8);
}

// GEMM (N >= 2 tokens): the largest k that leaves at least 12 columns per
// bucket on average, k = floor(log3(K / 12)) (log2 for binary codes), i.e.
// one less than the GEMV rule at most K. The padded index's GEMM pays per
// position (a vector load-add per tile, a store per 4 positions) and per
// bucket (a widened fold step), and its int16 lanes need buckets of <= 257
// columns, so it wants longer buckets than GEMV. Sweep (AMD Zen 5, AVX3_DL,
// 1 thread, load 3.7, min ms of 2 rounds), N = 8 / 32 / 128, k = 3..7 (the
// rule's k marked *):
//   4096x1024   k=3 0.55/0.65/2.16   k=4* 0.53/0.62/2.02   k=5 0.74/0.80/2.43
//   6912x2560   k=3 2.24/2.59/12.1   k=4* 1.77/2.15/6.75   k=5 1.90/2.30/6.6-10
//   4096x4096   k=4 1.60/1.79/6.06   k=5* 1.57/1.83/5.86   k=6 2.12/2.30/7.15
//   2560x6912   k=4 1.72/1.93/7.10   k=5* 1.48/1.76/6.40   k=6 1.70/1.95/6.74
//   3200x8640   k=4 3.00/3.75/21.4   k=5* 2.26/2.88/10.4   k=6 2.61/3.25/11.0
//   4096x14336  k=5 5.08/6.30/23.2   k=6* 5.08/5.99/22.0   k=7 6.21/6.73/25.3
// (k=4 at K = 8640: buckets of ~107 columns, but at N = 128 more blocks
// re-read the 1.1 MB of activations.) The best k did not move with N from 8
// to 128, so the rule depends on K alone; N = 1 uses RsrppSimdDefaultK.
int RsrppSimdGemmK(size_t cols, bool binary) {
  const double base = binary ? 2.0 : 3.0;
  const double per = static_cast<double>(std::max<size_t>(cols, 1)) / 12.0;
  const int k = per > 1.0 ? static_cast<int>(std::floor(std::log(per) /
                                                        std::log(base) + 1e-9))
                          : 1;
  return std::clamp(k, 1, binary ? 12 : 8);
}

}  // namespace rsr
