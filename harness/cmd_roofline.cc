// rsr-bench roofline: the compute roof (peak instruction rates per target and
// thread count, roofline.h) that `run --roofline` divides attained rates by.
#include <cstdio>
#include <sstream>

#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/report.h"
#include "harness/roofline.h"
#include "rsr/error.h"

namespace rsr::harness {
namespace {

struct RooflineFlags {
  std::string threads = "1,2";
  std::string target = "all";
  std::string ops = "all";
  size_t reps = 7;
  double min_sample_ms = 20;
  bool allow_emulated = false;
  OutputFlags output;
};

std::string RenderTable(const std::vector<RoofResult>& rs,
                        const std::optional<double>& ghz) {
  std::ostringstream o;
  char line[200];
  std::snprintf(line, sizeof(line), "%-13s %-9s %8s %12s %10s %10s  %-12s %s\n",
                "op", "target", "threads", "G/s", "min", "per cycle", "unit",
                "instruction");
  o << line;
  for (const auto& r : rs) {
    // Per core and cycle: the figure to compare with the vendor's tables.
    char pc[32] = "-";
    if (ghz && r.op != "clock")
      std::snprintf(pc, sizeof(pc), "%.1f", r.giga_per_s / r.threads / *ghz);
    std::snprintf(line, sizeof(line),
                  "%-13s %-9s %8d %12.2f %10.2f %10s  %-12s %s\n",
                  r.op.c_str(), r.target.c_str(), r.threads, r.giga_per_s,
                  r.min, pc, r.unit.c_str(), r.instruction.c_str());
    o << line;
  }
  return o.str();
}

std::string RenderCsv(const std::vector<RoofResult>& rs) {
  std::ostringstream o;
  o << "op,unit,instruction,target,threads,giga_per_s,min,max,reps\n";
  for (const auto& r : rs)
    o << r.op << "," << r.unit << "," << r.instruction << "," << r.target
      << "," << r.threads << "," << r.giga_per_s << "," << r.min << ","
      << r.max << "," << r.reps << "\n";
  return o.str();
}

int RunRoofline(const RooflineFlags& f) {
  if (LikelyEmulated() && !f.allow_emulated)
    throw Error("roofline",
                "this looks like emulation (qemu-user): peak rates would be "
                "meaningless; pass --allow-emulated to run anyway");
  if (f.reps < 1 || f.reps > 1000)
    throw Error("reps", "must be in 1..1000, got " + std::to_string(f.reps));
  if (!(f.min_sample_ms > 0 && f.min_sample_ms <= 10000))
    throw Error("min-sample-ms", "must be in (0, 10000]");
  Selection sel;
  sel.threads = f.threads;
  sel.target = f.target;
  const auto threads = sel.ThreadList();
  for (size_t t : threads)
    if (t > 1024) throw Error("threads", "at most 1024");
  const auto targets = sel.TargetList();
  std::vector<std::string> ops;
  if (f.ops == "all") {
    ops = RoofOps();
  } else {
    std::stringstream ss(f.ops);
    for (std::string op; std::getline(ss, op, ',');) {
      bool known = false;
      for (const auto& o : RoofOps()) known |= o == op;
      if (!known)
        throw Error("ops", "unknown op '" + op + "' (known: clock, int8_dot, "
                           "int16_add, byte_shuffle, f32_fma)");
      ops.push_back(op);
    }
  }
  std::vector<RoofResult> results;
  const size_t total = threads.size() * ops.size() * targets.size();
  size_t done = 0;
  for (size_t th : threads)
    for (const auto& op : ops)
      for (const auto& t : targets) {
        // The clock does not depend on the SIMD target: measured once.
        if (op == "clock" && &t != &targets.front()) {
          ++done;
          continue;
        }
        SetTargetBits(t.bits);
        Progress(++done, total,
                 op + " " + t.name + " T=" + std::to_string(th));
        results.push_back(MeasureRoof(op, static_cast<int>(th), f.reps,
                                      f.min_sample_ms * 1e-3));
      }
  SetTargetBits(0);
  std::optional<double> ghz;
  for (const auto& r : results)
    if (r.op == "clock" && r.threads == 1) ghz = r.giga_per_s;
  if (f.output.format == "json") {
    std::vector<nlohmann::json> records;
    for (const auto& r : results) records.push_back(r.ToJson());
    WriteText(f.output.out, ToDocument(records).dump(2) + "\n");
  } else if (f.output.format == "csv") {
    WriteText(f.output.out, RenderCsv(results));
  } else {
    WriteText(f.output.out, RenderTable(results, ghz));
  }
  return 0;
}

}  // namespace

void AddRooflineCommand(CLI::App& app, CommandResult& action) {
  auto [cmd, f] = AddCommand<RooflineFlags>(
      app, action, "roofline",
      "compute roof: peak rate of int8 dot products, int16 adds, byte "
      "shuffles and f32 FMAs per SIMD target and thread count, and the core "
      "clock (run --roofline uses it)",
      RunRoofline);
  cmd->add_option("--threads", f->threads, "thread counts, comma list")
      ->capture_default_str();
  cmd->add_option("--target", f->target,
                  "SIMD targets: all (every supported), best, or a list")
      ->capture_default_str();
  cmd->add_option("--ops", f->ops,
                  "all, or a list of clock,int8_dot,int16_add,byte_shuffle,"
                  "f32_fma")
      ->capture_default_str();
  cmd->add_option("--reps", f->reps, "samples per case; the median is reported")
      ->capture_default_str();
  cmd->add_option("--min-sample-ms", f->min_sample_ms,
                  "minimum duration of one sample")
      ->capture_default_str();
  cmd->add_flag("--allow-emulated", f->allow_emulated,
                "measure even under emulation (qemu-user)");
  f->output.AddFlags(*cmd, {"table", "json", "csv"});
}

}  // namespace rsr::harness
