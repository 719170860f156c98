// rsr-bench regress: options shared by its two modes and the mode entry
// points (cmd_regress.cc: CLI and timing mode; regress_counts.cc: counts).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/regress_compare.h"
#include "rsr/kernel.h"

namespace rsr::harness {

struct RegressOptions {
  std::string mode = "timing";  // "timing" or "counts"
  std::string baseline;
  bool update = false;
  bool report_only = false;
  // Empty = the mode's default: timing, the kernels of the ratios below;
  // counts, every registry kernel.
  std::string kernels;
  std::string shapes = "2048x2048,2560x6912";
  std::string tokens = "1,8";
  uint64_t seed = 1;

  // Timing mode.
  // Run-to-run spread (max/min - 1 over 5 runs of the default subset, min
  // statistic, 2-core Zen 4 at load 9-10 from other builds): rsrpp-simd/i2s
  // <= 3.5%; ratios over dense-f32 at 2048x2048 5-18%, at 2560x6912 27-31%
  // (the 70 MB float denominator is DRAM-bound and feels the other core's
  // traffic); dense-naive/dense-f32 at 2560x6912 71-75%. 0.8 stays above all
  // of it; a ratio fails when it grows by more than 80% (a kernel 1.79x
  // slower passes, 1.81x fails: regress_compare_test.cc). On an idle machine
  // 0.35 suits every ratio but dense-naive's.
  double threshold = 0.8;
  bool allow_other_cpu = false;
  double min_time = 0.15;  // timed seconds per case, spread over the rounds
  size_t rounds = 5;       // interleaved rounds over the kernels
  // Which per-kernel time forms the ratios. "min" by default: on a loaded
  // machine the longer calls (dense-f32 at 70 MB) are preempted more often
  // than the short ones, which biases median ratios; over 5 runs at load
  // 7-12 the median ratios moved by 96% (median over ratios) and the min
  // ratios by 35%.
  std::string statistic = "min";

  // Counts mode (the thresholds' reasons: CountThresholds).
  double instr_threshold = CountThresholds{}.instructions;
  double miss_threshold = CountThresholds{}.misses;
  // Counted calls per case, each at its own stack placement (CountCalls in
  // regress_counts.cc): 4 for SIMD kernels, 1 for the scalar ones (~50x
  // slower under valgrind; their misses move <= 1.4% with the stack).
  size_t calls = 4;
  size_t scalar_calls = 1;
  size_t jobs = 1;  // valgrind processes at once
  std::string valgrind = "valgrind";
  bool counted_child = false;  // internal: this process runs under valgrind
  size_t stack_offset = 0;     // diagnostic: the counted calls' stack shifted

  // Test only: the slowed kernel (slowed_kernel.h) replaces this one.
  std::string slowdown_kernel;
  int slowdown = 0;
};

int RunRegressTiming(const RegressOptions& o);
int RunRegressCounts(const RegressOptions& o);
// The process valgrind runs for RunRegressCounts.
int RunCountedChild(const RegressOptions& o);

// Helpers shared by both modes.
std::vector<std::string> SplitComma(const std::string& spec);
// CreateKernel with 1 thread, wrapped in the slowed kernel when `name` is
// o.slowdown_kernel.
std::unique_ptr<Kernel> CreateRegressKernel(const std::string& name,
                                            const RegressOptions& o);

}  // namespace rsr::harness
