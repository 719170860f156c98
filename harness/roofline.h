// Compute roof (`rsr-bench roofline`): the peak rate of the instructions
// each method lives on, per SIMD target and thread count, beside the memory
// roof of bandwidth.h. Every `run` record divides its attained rate by the
// roof of its own method (ComputeModel) to give "fraction of compute roof".
//
// Probes (harness/roofline.cc, one body per Highway target): 12 independent
// chains of one instruction on register operands, each chain's value passed
// through an empty asm barrier every step so the compiler can neither fold
// nor hoist the work (the barrier emits no instruction). 12 chains cover a
// 4-cycle latency at 3 per cycle. Ops and units:
//   int8_dot     MAC/s: vpdpbusd (AVX3_DL), vpmaddubsw + vpaddw (AVX3, AVX2,
//                SSE4, SSSE3: the exact int16 form the int8 kernels use),
//                sdot (NEON with dotprod, SVE), an emulation elsewhere
//   int16_add    int16 lane additions/s (vpaddw, add.8h, ...)
//   byte_shuffle byte lookups/s: vpermb (AVX3_DL), vpshufb (x86), tbl (NEON)
//   f32_fma      f32 lane multiply-adds/s
//   clock        a chain of dependent scalar adds (latency 1): the core clock
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rsr::harness {

struct RoofResult {
  std::string op;           // "int8_dot", "int16_add", ...
  std::string unit;         // "MAC", "lane-add", "byte-lookup", "cycle"
  std::string instruction;  // what the probe issued on this target
  std::string target;
  int threads = 1;
  double giga_per_s = 0, min = 0, max = 0;  // median of the samples, 1e9/s
  size_t reps = 0;
  nlohmann::json ToJson() const;
};

// Probe names in measurement order ("clock" first).
const std::vector<std::string>& RoofOps();

// Measures one op on the current target (rsr::SetTarget) with `threads`
// OpenMP threads: `reps` samples of at least min_sample_s each, the median.
// Throws rsr::Error("op") for an unknown op, ("threads") for threads < 1.
RoofResult MeasureRoof(const std::string& op, int threads, size_t reps,
                       double min_sample_s);

// The instruction class a kernel's inner loop lives on and how many
// ternary multiply-accumulates (M*K*N / time) one unit of it serves at best:
// i2s 1 MAC per int8 dot lane; tl1/tl2 one table lookup per 2/3 weights
// (byte shuffles for one token, int16 adds of token-vector entries for
// several); rsrpp-simd one int16 add per column per block of k rows (the
// fold not counted: an upper bound); dense-f32 one FMA lane. nullopt for
// scalar kernels (no roof defined).
struct ComputeModel {
  std::string op;
  double macs_per_unit = 1;
};
std::optional<ComputeModel> ComputeModelFor(const std::string& kernel,
                                            size_t tokens, int block_height);

// The roofs one `run` divides by: the compute table of `rsr-bench roofline
// --format json` and the read-bandwidth table of `rsr-bench bandwidth
// --format json`, either optional (empty path).
struct MemoryRoof {
  std::string level;  // "L2", "L3", "DRAM", ...
  double mib = 0;     // probe buffer size
  double gbps = 0;
};
class Roofs {
 public:
  // Throws rsr::Error("roofline"/"bandwidth") for unreadable or malformed
  // files.
  static Roofs Load(const std::string& roofline_json,
                    const std::string& bandwidth_json);
  // Rate (1e9 units/s) of op on target with threads; nullopt if absent.
  std::optional<double> Rate(const std::string& op, const std::string& target,
                             int threads) const;
  std::optional<double> ClockGhz() const;  // 1-thread clock probe
  // The smallest probe at `threads` whose buffer holds `bytes` (else the
  // largest): a kernel streaming B bytes of weights is judged against the
  // level that holds B bytes (the L3 probe below it, a DRAM probe of about
  // B bytes past it: `bandwidth --dram-mib` takes the kernels' sizes). A
  // probe up to 1% smaller still holds them: a 16384^2 i2s matrix is 64 MiB
  // plus 260 bytes of read slack and scale, and is the 64 MiB probe's size.
  static constexpr double kProbeSizeSlack = 1.01;
  std::optional<MemoryRoof> SizeMatched(double bytes, int threads) const;

  // Adds to a run record (kernel, target, m, k, tokens, threads, median_ms,
  // prepared_bytes, gbps, optional block_height): gmacs (M*K*N per second,
  // 1e9) always; compute_roof_{op,gmacs,fraction} when the kernel has a
  // ComputeModel and the table has its op; cycles_per_kweight (core cycles
  // per 1000 weight x token products) with a clock; bandwidth_roof_{level,
  // mib,gbps} and bandwidth_fraction with a bandwidth table.
  void Annotate(nlohmann::json& record) const;

 private:
  std::vector<RoofResult> compute_;
  std::vector<std::pair<int, MemoryRoof>> memory_;  // (threads, probe)
};

}  // namespace rsr::harness
