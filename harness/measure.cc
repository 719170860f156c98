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

std::vector<double> TimeCalls(
    const std::function<void()>& fn, const TimingPlan& plan,
    const std::function<void(size_t, double)>& after) {
  using Clock = std::chrono::steady_clock;
  for (size_t i = 0; i < plan.warm_up; ++i) fn();
  std::vector<double> samples;
  const auto start = Clock::now();
  while (samples.size() < plan.max_reps) {
    const auto t0 = Clock::now();
    fn();
    const auto t1 = Clock::now();
    samples.push_back(std::chrono::duration<double>(t1 - t0).count());
    if (after) after(samples.size(), samples.back());
    const double elapsed = std::chrono::duration<double>(t1 - start).count();
    if (samples.size() >= plan.min_reps && elapsed >= plan.min_time_s) break;
  }
  return samples;
}

void AppendGemmTimes(const Kernel& kernel, std::span<const float> x,
                     size_t tokens, std::span<float> y, double min_time,
                     size_t min_reps, size_t max_reps,
                     std::vector<double>& samples) {
  const std::vector<double> more =
      TimeCalls([&] { kernel.Gemm(x, tokens, y); }, {.warm_up = 0,
                                                     .min_time_s = min_time,
                                                     .min_reps = min_reps,
                                                     .max_reps = max_reps});
  samples.insert(samples.end(), more.begin(), more.end());
}

TimingStats TimeGemm(const Kernel& kernel, std::span<const float> x,
                     size_t tokens, std::span<float> y, double min_time,
                     size_t min_reps, size_t max_reps) {
  // The warm-up call takes page faults, fills caches, starts the thread pool.
  return Summarize(
      TimeCalls([&] { kernel.Gemm(x, tokens, y); }, {.warm_up = 1,
                                                     .min_time_s = min_time,
                                                     .min_reps = min_reps,
                                                     .max_reps = max_reps}));
}

}  // namespace rsr::harness
