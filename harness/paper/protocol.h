// The paper's measurement protocol, as the authors' native/ code runs it:
// one process per method and size, a fresh random matrix in each, the index
// built before the timer, then kPaperRuns timed calls; each call's time is
// truncated to whole milliseconds (duration_cast<milliseconds>) and the table
// shows the integer mean (sum / runs, integer division). We report that and,
// beside it, the exact mean.
//
// `rsr-bench paper` (the parent) starts `rsr-bench paper-process` once per
// method and size (SpawnPaperProcess); the child runs RunPaperProcess and
// prints one JSON object on stdout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rsr::paper {

// The paper's defaults, defined once: the CLI, main.sh and the tests use them.
inline constexpr size_t kPaperRuns = 10;
inline const std::vector<size_t> kPaperDefaultSizes = {2048, 4096, 8192};
// 2^16, the paper's last row, needs 16 GiB for the naive loop's matrix alone.
inline constexpr size_t kPaperMinN = 16;
inline constexpr size_t kPaperMaxN = 32768;

// The paper's methods, one process each. "naive", "rsr" and "rsrpp" are the
// faithful transcriptions (paper_naive.h, paper_faithful.h); the "-lean"
// ones are paper_rsr.h.
inline const std::vector<std::string> kPaperMethods = {
    "naive", "rsr", "rsrpp", "rsr-lean", "rsrpp-lean"};

// The paper's reported figures (ms, Table 2 / Fig. 4 of the RSR paper) and
// its k for n = 2^11..2^16.
struct PaperFigures {
  size_t n = 0;  // 0: the paper has no row for this n
  int k = 0;
  double naive_ms = 0, rsr_ms = 0, rsrpp_ms = 0;
};
PaperFigures PaperFiguresFor(size_t n);
const std::vector<PaperFigures>& AllPaperFigures();

// The paper's k for n; for an n it did not measure, the k of the nearest n
// (log scale). The theory rule log2 n - log2 log2 n overshoots the measured
// best (7 at n = 1024, where the paper's sweep favours 4).
int PaperK(size_t n);

// Throws rsr::Error("sizes") unless kPaperMinN <= n <= kPaperMaxN.
void CheckPaperSize(size_t n);

struct ProcessSpec {
  std::string method;  // one of kPaperMethods
  size_t n = 0;
  int k = 0;  // 0 = PaperK(n)
  size_t runs = kPaperRuns;
  uint64_t seed = 1;
};

// Throws rsr::Error naming the bad field.
void CheckProcessSpec(const ProcessSpec& spec);

// The child: generates A (n x n) and v from spec.seed, builds the method's
// index, times spec.runs calls, checks the last result against
// ReferenceProduct. Progress on stderr. Returns
// {"method", "n", "k", "seed", "runs", "runs_ms", "runs_whole_ms",
//  "mean_ms", "int_mean_ms", "preprocess_ms", "exact"}.
nlohmann::json RunPaperProcess(const ProcessSpec& spec);

// The parent: runs `exe paper-process ...` for spec and returns its JSON.
// Throws rsr::Error("paper-process") when the child fails (exit code not 0
// or 1 -- 1 is a mismatch and still carries the JSON) or prints no JSON.
nlohmann::json SpawnPaperProcess(const std::string& exe,
                                 const ProcessSpec& spec);

}  // namespace rsr::paper
