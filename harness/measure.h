// Wall-clock timing of one prepared kernel (rsr-bench run).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "rsr/kernel.h"

namespace rsr::harness {

struct TimingStats {
  double median_s = 0, min_s = 0, max_s = 0, mean_s = 0;
  size_t reps = 0;
};

// The timing loop behind every timed figure: seconds of each timed call of
// fn. `warm_up` untimed calls first, then repeats until both min_reps calls
// and min_time seconds have passed (capped at max_reps). `after`, when set,
// runs after each timed call, outside the timed region (progress lines).
struct TimingPlan {
  size_t warm_up = 1;
  double min_time_s = 0;
  size_t min_reps = 5;
  size_t max_reps = 100000;
};
std::vector<double> TimeCalls(
    const std::function<void()>& fn, const TimingPlan& plan,
    const std::function<void(size_t done, double seconds)>& after = {});

// One warm-up call, then repeats until both min_reps calls and min_time
// seconds have passed (capped at max_reps).
TimingStats TimeGemm(const Kernel& kernel, std::span<const float> x,
                     size_t tokens, std::span<float> y, double min_time,
                     size_t min_reps = 5, size_t max_reps = 100000);

// TimeGemm's loop without the warm-up: appends one sample (seconds) per call
// to `samples`. For callers that interleave several kernels in rounds and
// summarize all rounds at once (rsr-bench regress).
void AppendGemmTimes(const Kernel& kernel, std::span<const float> x,
                     size_t tokens, std::span<float> y, double min_time,
                     size_t min_reps, size_t max_reps,
                     std::vector<double>& samples);

// Statistics of a sample (sorted copy).
TimingStats Summarize(std::vector<double> samples);

}  // namespace rsr::harness
