// Read-bandwidth probe (`rsr-bench bandwidth`): the memory roofline that the
// plots divide each kernel's effective GB/s by.
//
// A buffer of int64 is summed with Highway vectors (several independent
// accumulators, so the loop is load-bound, not add-latency-bound), by 1..N
// OpenMP threads each reading its own contiguous share (first-touched by the
// same thread, so pages sit on that thread's NUMA node). One sample times
// enough passes over the buffer to last >= min_sample_s; the result is the
// median of `reps` samples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hwy/aligned_allocator.h"

namespace rsr::harness {

struct BandwidthCase {
  std::string level;  // "L2", "L3", "DRAM" or "custom"
  size_t bytes = 0;   // total buffer size, shared by all threads
  int threads = 1;
};

struct BandwidthResult {
  BandwidthCase config;
  double gbps_median = 0, gbps_min = 0, gbps_max = 0;  // 1e9 bytes/s
  size_t reps = 0;
  size_t passes = 0;   // passes over the buffer per sample
  std::string target;  // Highway target that summed
  nlohmann::json ToJson() const;
};

// Sums `n` int64 (any n) with the best Highway target, wrapping on overflow.
// Exposed for tests: the probe's answer must equal the plain sum.
int64_t SumInt64(const int64_t* data, size_t n);

// One probe buffer, allocated and first-touched once, sampled on demand: for
// callers that interleave probe samples with other work (rsr-bench run pairs
// each kernel window with a probe window). Throws rsr::Error("threads") for
// threads < 1, rsr::Error("size") for a buffer smaller than 4 KiB per thread
// or one that cannot be allocated.
class ReadProbe {
 public:
  explicit ReadProbe(const BandwidthCase& c);
  // One timed sample: `passes` sweeps by every thread; seconds.
  double TimePasses(size_t passes);
  // An untimed pass (the buffer back in the caches it fits), then passes
  // until >= min_s seconds; GB/s.
  double SampleGbps(double min_s);
  const BandwidthCase& config() const { return config_; }

 private:
  BandwidthCase config_;
  hwy::AlignedFreeUniquePtr<int64_t[]> buf_;
  size_t n_ = 0;
};

// Measures one case (errors as ReadProbe's).
BandwidthResult MeasureReadBandwidth(const BandwidthCase& c, size_t reps,
                                     double min_sample_s = 0.005);

}  // namespace rsr::harness
