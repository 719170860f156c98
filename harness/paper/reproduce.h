// `rsr-bench paper`: reproduce docs/algorithms.md §6 (the RSR paper's tables).
//
//  faithful  the paper's conditions and protocol (protocol.h): binary A, int
//            v in [0,100], the naive loop, RSR and RSR++ as the authors'
//            code runs them (and our lean transcription), all at -O0, the
//            paper's k, one process per method and size, whole-ms integer
//            mean of 10 runs beside the exact mean; the paper's figures.
//  modern    a binary W of the same kind and v (as float) through -O3
//            registry kernels, one thread, medians; speed-ups against the
//            faithful naive loop.
//  memory    the paper's int64 comparison, and PreparedBytes / bits per
//            weight of every registry kernel.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/paper/protocol.h"

namespace rsr::harness {

struct PaperOptions {
  std::vector<size_t> sizes = paper::kPaperDefaultSizes;
  size_t runs = paper::kPaperRuns;  // faithful: timed calls per process
  int k = 0;                        // 0 = the paper's k (paper::PaperK)
  std::vector<std::string> kernels = {
      "dense-naive", "dense-f32", "rsrpp", "rsrpp-simd", "i2s", "tl1", "tl2"};
  double min_time_s = 0.2;  // modern: timed seconds per kernel
  bool faithful = true, modern = true, memory = true;
  uint64_t seed = 1;
  // The rsr-bench binary whose hidden `paper-process` subcommand runs one
  // faithful method and size.
  std::string exe = "/proc/self/exe";
};

// Runs the selected tables; progress on stderr. Returns the JSON document
// {"context", "conditions", "faithful", "modern", "memory_paper",
//  "memory_kernels", "notes"}. Throws rsr::Error for bad options.
nlohmann::json RunPaper(const PaperOptions& options);

// Renders the document as aligned text tables or GitHub Markdown.
std::string RenderPaperTables(const nlohmann::json& doc, bool markdown);

}  // namespace rsr::harness
