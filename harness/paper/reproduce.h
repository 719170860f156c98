// `rsr-bench paper`: reproduce docs/algorithms.md §6 (the RSR paper's tables).
//
//  faithful  the paper's conditions: binary W, int v in [0,100], the paper's
//            naive loop and RSR / RSR++ (paper_rsr.h), all at -O0, the
//            paper's k, mean of `reps` runs; beside each the paper's figure.
//  modern    the same W and v (as float) through -O3 registry kernels, one
//            thread, medians; speed-ups against the paper-style naive loop.
//  memory    the paper's int64 comparison, and PreparedBytes / bits per
//            weight of every registry kernel.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rsr::harness {

struct PaperOptions {
  std::vector<size_t> sizes = {2048, 4096, 8192, 16384};
  size_t reps = 10;            // faithful: mean of this many runs
  double naive_budget_s = 30;  // faithful naive: fewer reps past this
  int k = 0;                   // 0 = the paper's k (nearest paper n)
  std::vector<std::string> kernels = {
      "dense-naive", "dense-f32", "rsrpp", "rsrpp-simd", "i2s", "tl1", "tl2"};
  double min_time_s = 0.2;  // modern: timed seconds per kernel
  bool faithful = true, modern = true, memory = true;
  uint64_t seed = 1;
};

// The paper's reported figures (ms) and k for n = 2^11..2^16; nullptr-like
// (n == 0) when n is not one of them.
struct PaperFigures {
  size_t n = 0;
  int k = 0;
  double naive_ms = 0, rsr_ms = 0, rsrpp_ms = 0;
};
PaperFigures PaperFiguresFor(size_t n);

// The paper's input vector: n ints uniform in [0, 100], seeded.
std::vector<int> RandomIntVector(size_t n, uint64_t seed);

// Runs the selected tables; progress on stderr. Returns the JSON document
// {"context", "conditions", "faithful", "modern", "memory_paper",
//  "memory_kernels", "notes"}. Throws rsr::Error for bad options.
nlohmann::json RunPaper(const PaperOptions& options);

// Renders the document as aligned text tables or GitHub Markdown.
std::string RenderPaperTables(const nlohmann::json& doc, bool markdown);

}  // namespace rsr::harness
