// The comparisons behind `rsr-bench regress`, as pure functions so that their
// boundaries are unit-tested with synthetic numbers instead of timings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rsr::harness {

// Timing mode: a time ratio (numerator kernel over denominator kernel, both
// timed in one run) regressed when it grew by strictly more than `threshold`
// (a fraction: 0.8 = +80%): now / base - 1 > threshold, so the default 0.8
// catches a kernel that became more than 1.8x slower relative to its
// denominator.
bool RatioRegressed(double base, double now, double threshold);

// Counts mode: what one call of a kernel cost under callgrind's simulation.
struct CallCounts {
  double instructions = 0;  // Ir
  double d1_misses = 0;     // D1mr + D1mw
  double ll_misses = 0;     // DLmr + DLmw (data misses in the simulated LL)
};

struct CountCase {
  std::string kernel;
  size_t m = 0, k = 0, tokens = 0;
  size_t calls = 0;  // calls counted; per_call = totals / calls
  CallCounts per_call;
};

// "i2s 2048x2048 N=1"
std::string CountCaseKey(const std::string& kernel, size_t m, size_t k,
                         size_t tokens);

// Spread (g++ 12.2, AVX2, valgrind 3.19, the 32 default cases): two runs of
// one binary give identical counts. What does move them is layout: shifting
// the counted calls' stack through a whole 4 KiB page (--stack-offset, 128-
// byte steps) leaves instructions unchanged and moves D1 misses by <= 1.4%
// in every case but tl2 2048x2048 N=1, whose on-stack tables make its D1
// misses swing by up to 8.8% (LL misses 2.3%). A code change in the call
// path shifts the stack like that; +10% stays above it, +3% instructions is
// far above a spread of zero yet catches a kernel that does 1/30 more work.
struct CountThresholds {
  double instructions = 0.03;  // +3%
  double misses = 0.10;        // +10%, D1 and LL alike
  // Miss counts below this many per call are compared as if they were this
  // many, so that a kernel whose data sits in the simulated cache (a handful
  // of misses per call) does not fail on a change of a few lines.
  double miss_floor = 64;
};

enum class CountStatus { kOk, kRegressed, kImproved, kNew, kMissing };
const char* CountStatusName(CountStatus s);

struct CountComparison {
  std::string key;
  std::optional<CallCounts> base, now;
  // Relative changes now / base - 1 (0 when a side is missing).
  double instructions = 0, d1_misses = 0, ll_misses = 0;
  CountStatus status = CountStatus::kOk;
  std::string what;  // which counts crossed a threshold, e.g. "instr +5.1%"
};

// One row per key in either map, sorted by key. kRegressed when any count
// grew beyond its threshold; kImproved when none grew beyond and one fell
// beyond it (time to --update); kNew / kMissing when only one side has it.
std::vector<CountComparison> CompareCounts(
    const std::map<std::string, CountCase>& base,
    const std::map<std::string, CountCase>& now, const CountThresholds& t);

// One callgrind output file: the dump trigger ("Client Request: LABEL" gives
// LABEL; "Program termination" etc. kept as written) and its totals by event
// name (Ir, D1mr, ...). Throws rsr::Error("callgrind") when the text has no
// events/totals lines.
struct CallgrindDump {
  std::string trigger;
  std::map<std::string, uint64_t> totals;
};
CallgrindDump ParseCallgrindDump(const std::string& text);

}  // namespace rsr::harness
