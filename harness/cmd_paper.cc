// rsr-bench paper: the RSR paper's tables (docs/algorithms.md §6), under the
// paper's conditions and under modern ones. See harness/paper/reproduce.h.
#include <sstream>

#include "harness/cli.h"
#include "harness/paper/reproduce.h"
#include "harness/report.h"
#include "rsr/error.h"

namespace rsr::harness {
namespace {

struct PaperFlags {
  std::string sizes = "2048,4096,8192,16384";
  std::string kernels = "dense-naive,dense-f32,rsrpp,rsrpp-simd,i2s,tl1,tl2";
  std::string tables = "faithful,modern,memory";
  size_t reps = 10;
  double naive_budget_s = 30;
  int k = 0;
  double min_time_s = 0.2;
  uint64_t seed = 1;
  std::string format = "table";
  std::string out = "-";
};

std::vector<std::string> SplitNames(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

void AddPaperCommand(CLI::App& app, CommandResult& action) {
  auto* cmd = app.add_subcommand(
      "paper",
      "reproduce the RSR paper's tables: faithful (-O0, the paper's loops) and "
      "modern (-O3 registry kernels), plus memory");
  auto f = std::make_shared<PaperFlags>();
  cmd->add_option("--sizes", f->sizes,
                  "n list (square n x n), 16..65536; the paper has 2048..65536")
      ->capture_default_str();
  cmd->add_option("--reps", f->reps, "faithful: mean of this many runs")
      ->capture_default_str();
  cmd->add_option("--naive-budget", f->naive_budget_s,
                  "faithful naive loop: seconds per n; fewer runs past it "
                  "(reported)")
      ->capture_default_str();
  cmd->add_option("--k", f->k,
                  "faithful block size; 0 = the paper's k (4,4,5,6,6,6)")
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
  cmd->add_option("--format", f->format, "table, json or markdown")
      ->check(CLI::IsMember({"table", "json", "markdown"}))
      ->capture_default_str();
  cmd->add_option("--out", f->out, "output file ('-' = stdout)")
      ->capture_default_str();
  cmd->callback([&action, f] {
    action = [f] {
      PaperOptions o;
      o.sizes = ParseList(f->sizes, "sizes");
      o.reps = f->reps;
      o.naive_budget_s = f->naive_budget_s;
      o.k = f->k;
      o.kernels = SplitNames(f->kernels);
      o.min_time_s = f->min_time_s;
      o.seed = f->seed;
      o.faithful = o.modern = o.memory = false;
      for (const auto& t : SplitNames(f->tables)) {
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
      if (f->format == "json") {
        WriteText(f->out, doc.dump(2) + "\n");
      } else {
        WriteText(f->out, RenderPaperTables(doc, f->format == "markdown"));
      }
      for (const auto& r : doc["faithful"])
        if (!r["exact"].get<bool>()) return 1;
      return 0;
    };
  });
}

}  // namespace rsr::harness
