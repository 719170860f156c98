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
  size_t calls = 0;           // calls counted; per_call = totals / calls
  size_t prepared_bytes = 0;  // Kernel::PreparedBytes(): the miss floor
  CallCounts per_call;
};

// "i2s 2048x2048 N=1"
std::string CountCaseKey(const std::string& kernel, size_t m, size_t k,
                         size_t tokens);

// Spread (g++ 12.2, AVX2, valgrind 3.19, the 32 default cases): two runs of
// one binary give identical counts. Layout is what moves them: code changes
// elsewhere shift the stack and the heap. Instructions then move by <= 0.05%
// (seen across the library's restructuring). Misses move where the data
// half-fits a simulated cache: tl2 2048x2048 N=1 keeps tables on the stack,
// and its D1 misses swing by 8.8% as the stack moves through a 4 KiB page
// (1.2% once the counted calls average four placements, see CountCalls);
// its LL misses (~2,000 a call, the 0.9 MB matrix nearly fitting the 1 MiB
// LL) moved by 11% and i2s's at 2048x2048 by 7% across a rebuild. Hence the
// floor: a miss count is compared with the larger of its baseline and the
// prepared matrix's cache lines, so that a case whose misses the cache mostly
// absorbs fails only when it misses 10% of its matrix more. +3% instructions
// is far above their spread yet catches a kernel doing 1/30 more work.
struct CountThresholds {
  double instructions = 0.03;  // +3%
  double misses = 0.10;        // +10%, D1 and LL alike
  // Miss counts below max(this, the case's prepared bytes / 64) per call are
  // compared as if they were that many.
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
