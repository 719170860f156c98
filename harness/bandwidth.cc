// Read-bandwidth probe; see bandwidth.h.
//
// Why int64 sums: an add per loaded lane is far below the load throughput of
// any SIMD target, so the loop measures the memory path, and the result
// depends on every byte, so the compiler cannot drop the loads. Four
// accumulators hide the add latency (1 cycle, but 2-3 loads per cycle issue).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "harness/bandwidth.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/core/prefetch.h"

HWY_BEFORE_NAMESPACE();
namespace rsr::harness {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

int64_t SumInt64Impl(const int64_t* HWY_RESTRICT data, size_t n) {
  // Four streams (the four quarters of the buffer) read side by side: one
  // sequential stream reached only 21.7 GB/s from DRAM on this Zen 4 (1 thread)
  // while dense-f32, which reads 4 rows at once, pulled 27 GB/s; the hardware
  // prefetchers need several streams to fill the memory pipeline.
  const hn::ScalableTag<int64_t> d;
  const size_t N = hn::Lanes(d);
  const size_t q = n / (4 * N) * N;  // elements per stream, whole vectors
  const int64_t* HWY_RESTRICT s0 = data;
  const int64_t* HWY_RESTRICT s1 = data + q;
  const int64_t* HWY_RESTRICT s2 = data + 2 * q;
  const int64_t* HWY_RESTRICT s3 = data + 3 * q;
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  // Each stream also prefetches one 4 KiB page ahead: the hardware
  // prefetchers stop at page boundaries. AVX3_DL, idle, GB/s without -> with,
  // 512 MiB: 1 thread 24.3-24.7 -> 25.9-29.4, 2 threads 30-32 -> 33-34;
  // 64 MiB: 1 thread 25.6-26.0 -> 31.8-33.9 (1 KiB or 8 KiB ahead: no
  // better). Into L1 (T0) rather than L2 (T1), as the weight-streaming
  // kernels do (tl2 read a 56 MB matrix at 51 GB/s against the T1 probe's
  // 41-47): AMD EPYC family 26 model 2, 1 thread, `rsr-bench bandwidth`, two
  // interleaved rounds, 56 MiB 48.3-49.1 -> 49.5-50.3 GB/s, 256 MiB
  // 39.3-39.7 -> 39.6-39.9, L2 and L3 within the noise.
  constexpr size_t kAhead = kPageBytes / sizeof(int64_t);
  for (size_t i = 0; i < q; i += N) {
    if (i % 8 == 0 && i + kAhead < q) {  // once per 64-byte line
      PrefetchL1(s0 + i + kAhead);
      PrefetchL1(s1 + i + kAhead);
      PrefetchL1(s2 + i + kAhead);
      PrefetchL1(s3 + i + kAhead);
    }
    a0 = hn::Add(a0, hn::LoadU(d, s0 + i));
    a1 = hn::Add(a1, hn::LoadU(d, s1 + i));
    a2 = hn::Add(a2, hn::LoadU(d, s2 + i));
    a3 = hn::Add(a3, hn::LoadU(d, s3 + i));
  }
  a0 = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
  // The lanes are summed as uint64 (wrapping): SumOfLanes on int64 lowers
  // to _mm512_reduce_add_epi64, whose signed scalar adds UBSan flags when
  // the probe's data wraps.
  const hn::RebindToUnsigned<decltype(d)> du;
  HWY_ALIGN uint64_t lanes[HWY_MAX_BYTES / sizeof(uint64_t)];
  hn::Store(hn::BitCast(du, a0), du, lanes);
  uint64_t s = 0;
  for (size_t i = 0; i < N; ++i) s += lanes[i];
  for (size_t i = 4 * q; i < n; ++i) s += static_cast<uint64_t>(data[i]);
  return static_cast<int64_t>(s);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr::harness
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

#include "harness/bandwidth.h"
#include "harness/measure.h"
#include "hwy/aligned_allocator.h"
#include "rsr/error.h"
#include "rsr/targets.h"

namespace rsr::harness {
HWY_EXPORT(SumInt64Impl);

namespace {

// Keeps the sums observable so no pass can be elided.
std::atomic<int64_t> g_sink{0};

struct Share {
  size_t begin, count;
};

Share ThreadShare(size_t n, int threads, int t) {
  // Shares are whole 64-byte lines: no line is read by two threads.
  const size_t lines = n / 8;
  const size_t per = lines / threads, extra = lines % threads;
  const size_t b = t * per + std::min<size_t>(t, extra);
  const size_t c = per + (static_cast<size_t>(t) < extra ? 1 : 0);
  size_t count = c * 8;
  if (t == threads - 1) count += n % 8;
  return {b * 8, count};
}

// Passes of per_pass seconds that last at least min_s.
size_t PassesFor(double min_s, double per_pass) {
  return std::clamp<size_t>(
      static_cast<size_t>(min_s / std::max(per_pass, 1e-9)) + 1, 1, 1u << 20);
}

}  // namespace

int64_t SumInt64(const int64_t* data, size_t n) {
  return HWY_DYNAMIC_DISPATCH(SumInt64Impl)(data, n);
}

nlohmann::json BandwidthResult::ToJson() const {
  return {{"level", config.level},
          {"bytes", config.bytes},
          {"mib", static_cast<double>(config.bytes) / (1 << 20)},
          {"threads", config.threads},
          {"gbps", gbps_median},
          {"gbps_min", gbps_min},
          {"gbps_max", gbps_max},
          {"reps", reps},
          {"passes", passes},
          {"target", target}};
}

ReadProbe::ReadProbe(const BandwidthCase& c) : config_(c) {
  if (c.threads < 1) throw Error("threads", "must be >= 1");
  if (c.bytes < 4096 * static_cast<size_t>(c.threads))
    throw Error("size", "buffer of " + std::to_string(c.bytes) +
                            " bytes is below 4 KiB per thread");
  n_ = c.bytes / sizeof(int64_t);
  buf_ = hwy::AllocateAligned<int64_t>(n_);
  if (!buf_)
    throw Error("size",
                "cannot allocate " + std::to_string(c.bytes) + " bytes");
  int64_t* data = buf_.get();
  const int threads = c.threads;
  const size_t n = n_;
  // First touch by the thread that will read the share.
#pragma omp parallel num_threads(threads)
  {
    const Share s = ThreadShare(n, threads, omp_get_thread_num());
    for (size_t i = s.begin; i < s.begin + s.count; ++i)
      data[i] = static_cast<int64_t>(i * 0x9E3779B97F4A7C15ull >> 7);
  }
}

// Fork/join included once (a few microseconds against the sample).
double ReadProbe::TimePasses(size_t passes) {
  using Clock = std::chrono::steady_clock;
  const int threads = config_.threads;
  const size_t n = n_;
  const int64_t* data = buf_.get();
  const auto t0 = Clock::now();
#pragma omp parallel num_threads(threads)
  {
    const Share s = ThreadShare(n, threads, omp_get_thread_num());
    int64_t acc = 0;
    for (size_t p = 0; p < passes; ++p)
      acc ^= SumInt64(data + s.begin, s.count) + static_cast<int64_t>(p);
    g_sink.fetch_add(acc, std::memory_order_relaxed);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double ReadProbe::SampleGbps(double min_s) {
  // One pass untimed for the result: the buffer back in the caches it fits.
  const size_t passes = PassesFor(min_s, TimePasses(1));
  return static_cast<double>(config_.bytes) * passes / TimePasses(passes) / 1e9;
}

BandwidthResult MeasureReadBandwidth(const BandwidthCase& c, size_t reps,
                                     double min_sample_s) {
  if (reps < 1) throw Error("reps", "must be >= 1");
  ReadProbe probe(c);
  probe.TimePasses(1);  // warm-up: dispatch, thread pool, TLB
  // Calibrate twice: the first single pass includes fork/join overhead. The
  // fastest of three samples each time, so one descheduled thread (a busy
  // shared machine) does not leave too few passes per sample.
  size_t passes = 1;
  for (int round = 0; round < 2; ++round) {
    const double per_pass =
        std::min({probe.TimePasses(passes), probe.TimePasses(passes),
                  probe.TimePasses(passes)}) /
        static_cast<double>(passes);
    passes = PassesFor(min_sample_s, per_pass);
  }
  std::vector<double> gbps;
  for (size_t r = 0; r < reps; ++r) {
    const double t = probe.TimePasses(passes);
    gbps.push_back(static_cast<double>(c.bytes) * passes / t / 1e9);
  }
  const TimingStats st = Summarize(gbps);
  BandwidthResult out;
  out.config = c;
  out.gbps_median = st.median_s;
  out.gbps_min = st.min_s;
  out.gbps_max = st.max_s;
  out.reps = st.reps;
  out.passes = passes;
  out.target = CurrentTargetName();
  return out;
}

}  // namespace rsr::harness
#endif  // HWY_ONCE
