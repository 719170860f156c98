#include "harness/measure.h"

#include <algorithm>
#include <chrono>
#include <numeric>

namespace rsr::harness {

TimingStats Summarize(std::vector<double> s) {
  TimingStats st;
  if (s.empty()) return st;
  std::sort(s.begin(), s.end());
  st.reps = s.size();
  st.min_s = s.front();
  st.max_s = s.back();
  st.median_s = s.size() % 2 ? s[s.size() / 2]
                             : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
  st.mean_s = std::accumulate(s.begin(), s.end(), 0.0) / s.size();
  return st;
}

void AppendGemmTimes(const Kernel& kernel, std::span<const float> x,
                     size_t tokens, std::span<float> y, double min_time,
                     size_t min_reps, size_t max_reps,
                     std::vector<double>& samples) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (size_t n = 0; n < max_reps;) {
    const auto t0 = Clock::now();
    kernel.Gemm(x, tokens, y);
    const auto t1 = Clock::now();
    samples.push_back(std::chrono::duration<double>(t1 - t0).count());
    const double elapsed = std::chrono::duration<double>(t1 - start).count();
    if (++n >= min_reps && elapsed >= min_time) break;
  }
}

TimingStats TimeGemm(const Kernel& kernel, std::span<const float> x,
                     size_t tokens, std::span<float> y, double min_time,
                     size_t min_reps, size_t max_reps) {
  kernel.Gemm(x, tokens, y);  // warm-up: page faults, caches, thread pool
  std::vector<double> samples;
  AppendGemmTimes(kernel, x, tokens, y, min_time, min_reps, max_reps, samples);
  return Summarize(std::move(samples));
}

}  // namespace rsr::harness
