// rsr-bench paper: the RSR paper's tables (docs/algorithms.md §6), under the
// paper's conditions and protocol and under modern ones. See
// harness/paper/reproduce.h and harness/paper/protocol.h. `paper-process`
// (hidden) is the child `paper` starts once per faithful method and size.
#include <cstdio>
#include <sstream>

#include "harness/cli.h"
#include "harness/paper/protocol.h"
#include "harness/paper/reproduce.h"
#include "harness/report.h"
#include "rsr/error.h"

namespace rsr::harness {
namespace {

std::string JoinSizes(const std::vector<size_t>& sizes) {
  std::string out;
  for (size_t n : sizes) out += (out.empty() ? "" : ",") + std::to_string(n);
  return out;
}

std::vector<std::string> SplitNames(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Defaults come from PaperOptions (and so from paper/protocol.h).
struct PaperFlags {
  std::string sizes = JoinSizes(PaperOptions{}.sizes);
  std::string kernels = [] {
    std::string s;
    for (const auto& k : PaperOptions{}.kernels)
      s += (s.empty() ? "" : ",") + k;
    return s;
  }();
  std::string tables = "faithful,modern,memory";
  size_t runs = PaperOptions{}.runs;
  int k = PaperOptions{}.k;
  double min_time_s = PaperOptions{}.min_time_s;
  uint64_t seed = PaperOptions{}.seed;
  OutputFlags output;
};

int RunPaperCommand(const PaperFlags& f) {
  PaperOptions o;
  o.sizes = ParseList(f.sizes, "sizes");
  o.runs = f.runs;
  o.k = f.k;
  o.kernels = SplitNames(f.kernels);
  o.min_time_s = f.min_time_s;
  o.seed = f.seed;
  o.faithful = o.modern = o.memory = false;
  for (const auto& t : SplitNames(f.tables)) {
    if (t == "faithful")
      o.faithful = true;
    else if (t == "modern")
      o.modern = true;
    else if (t == "memory")
      o.memory = true;
    else
      throw Error("tables",
                  "unknown table '" + t + "' (faithful, modern, memory)");
  }
  const nlohmann::json doc = RunPaper(o);
  if (f.output.format == "json") {
    WriteText(f.output.out, doc.dump(2) + "\n");
  } else {
    WriteText(f.output.out,
              RenderPaperTables(doc, f.output.format == "markdown"));
  }
  for (const auto& r : doc["faithful"])
    if (!r["exact"].get<bool>()) return 1;
  return 0;
}

int RunPaperProcessCommand(const paper::ProcessSpec& spec) {
  const nlohmann::json r = paper::RunPaperProcess(spec);
  std::printf("%s\n", r.dump().c_str());
  return r["exact"].get<bool>() ? 0 : 1;
}

}  // namespace

void AddPaperCommand(CLI::App& app, CommandResult& action) {
  auto [cmd, f] = AddCommand<PaperFlags>(
      app, action, "paper",
      "reproduce the RSR paper's tables: faithful (the authors' -O0 code "
      "paths and protocol) and modern (-O3 registry kernels), plus memory",
      RunPaperCommand);
  cmd->add_option(
         "--sizes", f->sizes,
         "n list (square n x n), " + std::to_string(paper::kPaperMinN) + ".." +
             std::to_string(paper::kPaperMaxN) + "; the paper has 2048..65536")
      ->capture_default_str();
  cmd->add_option("--runs", f->runs,
                  "faithful: timed calls per process (the paper: 10)")
      ->capture_default_str();
  cmd->add_option("--k", f->k,
                  "faithful block size; 0 = the paper's k (4,4,5,6,6 for "
                  "n = 2^11..2^15)")
      ->capture_default_str();
  cmd->add_option("--kernels", f->kernels,
                  "modern table: registry kernels (missing ones are skipped "
                  "with a note)")
      ->capture_default_str();
  cmd->add_option("--min-time", f->min_time_s,
                  "modern: timed seconds per kernel")
      ->capture_default_str();
  cmd->add_option("--tables", f->tables,
                  "comma list of faithful, modern, memory")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "random seed")->capture_default_str();
  f->output.AddFlags(*cmd, {"table", "json", "markdown"});

  // One faithful method and size in this process (paper/protocol.h): one
  // JSON object on stdout. Hidden (empty group): `paper` starts it.
  auto [child, spec] = AddCommand<paper::ProcessSpec>(
      app, action, "paper-process",
      "run one faithful paper method in this process", RunPaperProcessCommand);
  child->group("");
  child
      ->add_option("--method", spec->method,
                   "naive, rsr, rsrpp, rsr-lean or rsrpp-lean")
      ->required();
  child->add_option("--n", spec->n, "n (square n x n)")->required();
  child->add_option("--k", spec->k, "block size, 0 = the paper's");
  child->add_option("--runs", spec->runs, "timed calls");
  child->add_option("--seed", spec->seed, "random seed");
}

}  // namespace rsr::harness
