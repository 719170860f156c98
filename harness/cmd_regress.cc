// rsr-bench regress, timing mode: a quick fixed subset (1 thread, shapes
// that finish in seconds), reduced to ratios measured in the same run -- each
// kernel's time over dense-f32's, and rsrpp-simd over i2s -- and compared
// with a committed baseline (results/<machine-id>/baseline.json). Ratios, not
// times: on a shared machine the load moves absolute times by 2x while a
// ratio of two kernels timed side by side moves far less. Counts mode
// (instructions and simulated cache misses under valgrind, deterministic
// enough to gate CI) lives in regress_counts.cc.
//
// Exit codes: 0 no ratio worse than the threshold (or --update, or
// --report-only), 1 a regression, 2 bad arguments / nothing to compare /
// refused (emulation, a baseline from another CPU model).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/measure.h"
#include "harness/regress.h"
#include "harness/regress_compare.h"
#include "harness/report.h"
#include "harness/slowed_kernel.h"
#include "rsr/error.h"
#include "rsr/registry.h"
#include "rsr/rsr.h"

namespace rsr::harness {

std::vector<std::string> SplitComma(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::unique_ptr<Kernel> CreateRegressKernel(const std::string& name,
                                            const RegressOptions& o) {
  KernelOptions opt;
  opt.threads = 1;
  auto kernel = CreateKernel(name, opt);
  if (name == o.slowdown_kernel && o.slowdown > 0)
    kernel = MakeSlowedKernel(std::move(kernel), o.slowdown);
  return kernel;
}

namespace {

constexpr char kDenominator[] = "dense-f32";
constexpr char kTimingKernels[] =
    "dense-f32,rsrpp-simd,i2s,tl1,tl2,dense-naive";

struct RatioValue {
  std::string numerator, denominator;
  size_t m = 0, k = 0, tokens = 0;
  double value = 0;
};

std::string RatioKey(const std::string& num, const std::string& den,
                     const Shape& s, size_t tokens) {
  return num + "/" + den + " " + s.ToString() + " N=" + std::to_string(tokens);
}

// Time statistics of every kernel on one shape and token count. The kernels
// are timed in `rounds` interleaved rounds (each >= 3 calls and
// min_time / rounds seconds) so that a load change during the run hits all of
// them alike.
std::map<std::string, TimingStats> MeasureCase(
    const std::vector<std::string>& kernels, const Shape& s, size_t tokens,
    const RegressOptions& o) {
  const TernaryMatrix w = RandomTernary(s.m, s.k, o.seed);
  const std::vector<float> x = RandomActivations(s.k * tokens, o.seed + 1);
  std::vector<float> y(s.m * tokens);
  std::vector<std::unique_ptr<Kernel>> prepared;
  for (const auto& name : kernels) {
    prepared.push_back(CreateRegressKernel(name, o));
    prepared.back()->Prepare(w);
    prepared.back()->Gemm(x, tokens, y);  // warm-up
  }
  std::vector<std::vector<double>> samples(kernels.size());
  const double per_round = o.min_time / static_cast<double>(o.rounds);
  for (size_t r = 0; r < o.rounds; ++r)
    for (size_t i = 0; i < kernels.size(); ++i)
      AppendGemmTimes(*prepared[i], x, tokens, y, per_round, 3, 100000,
                      samples[i]);
  std::map<std::string, TimingStats> out;
  for (size_t i = 0; i < kernels.size(); ++i)
    out[kernels[i]] = Summarize(std::move(samples[i]));
  return out;
}

// Ratios from result records (this run's or the baseline's), formed only
// within one (shape, tokens) case: each kernel over dense-f32, rsrpp-simd
// over i2s.
std::map<std::string, RatioValue> Ratios(
    const std::vector<nlohmann::json>& records, const std::string& statistic) {
  const std::string field = statistic + "_ms";
  std::map<std::string, double> t;  // "kernel|m|k|n" -> ms
  auto key = [](const std::string& kn, size_t m, size_t k, size_t n) {
    return kn + "|" + std::to_string(m) + "|" + std::to_string(k) + "|" +
           std::to_string(n);
  };
  for (const auto& r : records)
    t[key(r.at("kernel").get<std::string>(), r.at("m").get<size_t>(),
          r.at("k").get<size_t>(), r.at("tokens").get<size_t>())] =
        r.at(field).get<double>();
  std::map<std::string, RatioValue> out;
  for (const auto& r : records) {
    const auto kn = r.at("kernel").get<std::string>();
    const auto m = r.at("m").get<size_t>(), k = r.at("k").get<size_t>(),
               n = r.at("tokens").get<size_t>();
    auto add = [&](const std::string& den) {
      const auto it = t.find(key(den, m, k, n));
      if (it == t.end() || !(it->second > 0)) return;
      out[RatioKey(kn, den, Shape{m, k}, n)] = {
          kn, den, m, k, n, t.at(key(kn, m, k, n)) / it->second};
    };
    if (kn != kDenominator) add(kDenominator);
    if (kn == "rsrpp-simd") add("i2s");
  }
  return out;
}


}  // namespace

int RunRegressTiming(const RegressOptions& o) {
  if (LikelyEmulated()) {
    std::fprintf(stderr,
                 "rsr-bench regress: refusing to measure under emulation "
                 "(qemu-user): timings there are meaningless. Run it on the "
                 "machine whose baseline it checks.\n");
    return o.report_only ? 0 : 2;
  }
  if (o.baseline.empty())
    throw Error("baseline", "--baseline PATH is required");
  if (!(o.threshold > 0)) throw Error("threshold", "must be > 0");
  if (o.rounds == 0) throw Error("rounds", "must be >= 1");

  // Kernels: the requested ones that the registry has; dense-f32 is required
  // (every ratio's denominator).
  const auto known = KernelNames();
  std::vector<std::string> kernels;
  for (const auto& k :
       SplitComma(o.kernels.empty() ? kTimingKernels : o.kernels)) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      std::printf("skip  kernel %-12s not in the registry\n", k.c_str());
      continue;
    }
    if (std::find(kernels.begin(), kernels.end(), k) == kernels.end())
      kernels.push_back(k);
  }
  if (std::find(kernels.begin(), kernels.end(), kDenominator) == kernels.end())
    throw Error("kernels", std::string("must include ") + kDenominator +
                               " (the denominator of every ratio)");
  if (!o.slowdown_kernel.empty() &&
      std::find(kernels.begin(), kernels.end(), o.slowdown_kernel) ==
          kernels.end())
    throw Error("slowdown-kernel", o.slowdown_kernel + " is not measured");

  const MachineInfo machine = GetMachineInfo();
  nlohmann::json base;
  if (!o.update) {
    // Read (and check) the baseline before spending a minute measuring.
    base = ReadJsonFile(o.baseline, "baseline");
    const std::string mismatch = CpuModelMismatch(
        base.value("context", nlohmann::json::object()), ToJson(machine));
    if (!mismatch.empty()) {
      if (!o.allow_other_cpu) {
        std::fprintf(stderr,
                     "rsr-bench regress: refusing to compare: %s. Timings "
                     "from another CPU model say nothing about a regression; "
                     "write this machine's baseline (--update --baseline "
                     "results/%s/baseline.json) or pass --allow-other-cpu.\n",
                     mismatch.c_str(), machine.id.c_str());
        return 2;
      }
      std::printf("regress: warning: %s (--allow-other-cpu)\n",
                  mismatch.c_str());
    }
  }
  SetTargetBits(0);
  const std::string target = CurrentTargetName();
  std::printf("regress: machine %s, target %s, load %.2f, 1 thread%s\n",
              machine.id.c_str(), target.c_str(), machine.load_average,
              o.slowdown > 0
                  ? (", TEST SLOWDOWN x" + std::to_string(1 + o.slowdown) +
                     " on " + o.slowdown_kernel)
                        .c_str()
                  : "");
  if (machine.load_average > machine.cores)
    std::printf(
        "regress: warning: load %.2f exceeds %d cores; ratios are "
        "noisier than usual\n",
        machine.load_average, machine.cores);

  // Measure; ratios are formed only within one (shape, tokens) case.
  const auto shapes = ParseShapes(o.shapes);
  const auto token_list = ParseList(o.tokens, "tokens");
  std::vector<nlohmann::json> records;
  const size_t total = shapes.size() * token_list.size();
  size_t done = 0;
  for (const auto& s : shapes)
    for (size_t n : token_list) {
      Progress(++done, total, s.ToString() + " N=" + std::to_string(n));
      const auto t = MeasureCase(kernels, s, n, o);
      for (const auto& [name, st] : t)
        records.push_back({{"kernel", name},
                           {"target", target},
                           {"m", s.m},
                           {"k", s.k},
                           {"tokens", n},
                           {"threads", 1},
                           {"median_ms", st.median_s * 1e3},
                           {"min_ms", st.min_s * 1e3},
                           {"max_ms", st.max_s * 1e3},
                           {"reps", st.reps}});
    }
  const auto ratios = Ratios(records, o.statistic);

  if (o.update) {
    nlohmann::json doc = ToDocument(records);
    doc["context"]["target_best"] = target;
    doc["config"] = {{"kernels", o.kernels},    {"shapes", o.shapes},
                     {"tokens", o.tokens},      {"threads", 1},
                     {"min_time", o.min_time},  {"rounds", o.rounds},
                     {"statistic", o.statistic}};
    nlohmann::json r = nlohmann::json::object();
    for (const auto& [key, v] : ratios)
      r[key] = {{"numerator", v.numerator},
                {"denominator", v.denominator},
                {"m", v.m},
                {"k", v.k},
                {"tokens", v.tokens},
                {"ratio", v.value}};
    doc["ratios"] = r;
    const auto parent = std::filesystem::path(o.baseline).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    WriteText(o.baseline, doc.dump(2) + "\n");
    for (const auto& [key, v] : ratios)
      std::printf("%-40s %10.4f\n", key.c_str(), v.value);
    std::printf("regress: wrote %zu ratios to %s\n", ratios.size(),
                o.baseline.c_str());
    return 0;
  }

  if (!base.contains("ratios") || !base["ratios"].is_object())
    throw Error("baseline", o.baseline + " has no \"ratios\" object");
  // The baseline's ratios are recomputed from its records with this run's
  // statistic; its "ratios" object is for readers.
  if (!base.contains("results") || !base["results"].is_array())
    throw Error("baseline", o.baseline + " has no \"results\" array");
  std::map<std::string, double> base_ratios;
  for (const auto& [key, v] :
       Ratios(base["results"].get<std::vector<nlohmann::json>>(), o.statistic))
    base_ratios[key] = v.value;
  if (base.contains("context") && base["context"].contains("target_best") &&
      base["context"]["target_best"] != target)
    std::printf("regress: warning: baseline measured on target %s, now %s\n",
                base["context"]["target_best"].get<std::string>().c_str(),
                target.c_str());

  // A ratio is a time ratio (higher = numerator slower): worse when it grew
  // by more than the threshold.
  size_t compared = 0, worse = 0;
  std::printf("%-40s %10s %10s %8s  %s\n",
              ("ratio (" + o.statistic + " time / time)").c_str(), "baseline",
              "now", "change", "status");
  for (const auto& [key, v] : ratios) {
    if (!base_ratios.count(key)) {
      std::printf("%-40s %10s %10.4f %8s  skipped: not in baseline\n",
                  key.c_str(), "-", v.value, "-");
      continue;
    }
    const double b = base_ratios.at(key);
    const double change = v.value / b - 1;
    const bool bad = RatioRegressed(b, v.value, o.threshold);
    ++compared;
    worse += bad;
    std::printf(
        "%-40s %10.4f %10.4f %+7.1f%%  %s\n", key.c_str(), b, v.value,
        100 * change,
        bad ? "REGRESSION" : (change < -o.threshold ? "improved" : "ok"));
  }
  for (const auto& [key, b] : base_ratios)
    if (!ratios.count(key))
      std::printf(
          "%-40s %10.4f %10s %8s  skipped: not measured (kernel "
          "missing or not selected)\n",
          key.c_str(), b, "-", "-");
  std::printf("regress: %zu ratios compared, %zu worse than +%.0f%%%s\n",
              compared, worse, 100 * o.threshold,
              o.report_only ? " (report only)" : "");
  if (o.report_only) return 0;
  if (compared == 0) {
    std::fprintf(stderr,
                 "rsr-bench regress: no ratio in common with %s (different "
                 "--shapes/--tokens/--kernels?)\n",
                 o.baseline.c_str());
    return 2;
  }
  return worse > 0 ? 1 : 0;
}

void AddRegressCommand(CLI::App& app, CommandResult& action) {
  auto* cmd = app.add_subcommand(
      "regress",
      "quick fixed subset vs a committed baseline; exit 1 on a regression. "
      "--mode timing (default): in-run time ratios; --mode counts: "
      "instructions and simulated cache misses per call under valgrind");
  auto o = std::make_shared<RegressOptions>();
  cmd->add_option("--mode", o->mode,
                  "timing (ratios, results/<id>/baseline.json) or counts "
                  "(valgrind, results/counts-baseline.json)")
      ->check(CLI::IsMember({"timing", "counts"}))
      ->capture_default_str();
  cmd->add_option("--baseline", o->baseline, "baseline JSON")->required();
  cmd->add_flag("--update", o->update, "measure and (re)write the baseline");
  cmd->add_flag("--report-only", o->report_only,
                "print the comparison, always exit 0");
  cmd->add_option("--kernels", o->kernels,
                  std::string("comma list; names not in the registry are "
                              "skipped. Default: timing ") +
                      kTimingKernels +
                      " (must include dense-f32); counts: every kernel");
  cmd->add_option("--shapes", o->shapes, "MxK[,MxK...] or a named set")
      ->capture_default_str();
  cmd->add_option("--tokens", o->tokens, "tokens N per call, comma list")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "random seed")->capture_default_str();

  auto* timing = cmd->add_option_group("Timing mode");
  timing
      ->add_option("--threshold", o->threshold,
                   "fail when a ratio grows by more than this fraction")
      ->capture_default_str();
  timing->add_flag("--allow-other-cpu", o->allow_other_cpu,
                   "compare with a baseline measured on another CPU model");
  timing
      ->add_option("--min-time", o->min_time,
                   "timed seconds per kernel and case")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  timing->add_option("--rounds", o->rounds, "interleaved timing rounds")
      ->capture_default_str();
  timing
      ->add_option("--statistic", o->statistic,
                   "per-kernel time the ratios use: min or median")
      ->check(CLI::IsMember({"min", "median"}))
      ->capture_default_str();

  auto* counts = cmd->add_option_group("Counts mode");
  counts
      ->add_option("--instr-threshold", o->instr_threshold,
                   "fail when instructions per call grow by more than this "
                   "fraction")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  counts
      ->add_option("--miss-threshold", o->miss_threshold,
                   "fail when simulated D1 or LL misses per call grow by "
                   "more than this fraction")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  counts
      ->add_option("--calls", o->calls,
                   "counted calls per case (SIMD kernels), after one warm-up")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  counts
      ->add_option("--scalar-calls", o->scalar_calls,
                   "counted calls per case for scalar kernels")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  counts->add_option("--jobs", o->jobs, "valgrind processes at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  counts->add_option("--valgrind", o->valgrind, "valgrind executable")
      ->capture_default_str();
  // Internal: set by counts mode on the process it starts under valgrind.
  cmd->add_flag("--counted-child", o->counted_child)->group("");
  counts
      ->add_option("--stack-offset", o->stack_offset,
                   "diagnostic: shift the counted calls' stack by this many "
                   "bytes, to tell a layout effect on misses from a "
                   "regression")
      ->check(CLI::Range(0, 1 << 20));

  auto* test = cmd->add_option_group(
      "Test only", "a kernel slowed on purpose, to show that a mode fails");
  auto* sk = test->add_option("--slowdown-kernel", o->slowdown_kernel,
                              "replace this kernel with a slowed copy");
  test->add_option("--slowdown", o->slowdown,
                   "extra calls of the real kernel per call of the slowed one")
      ->check(CLI::Range(0, 1000))
      ->needs(sk);
  cmd->callback([&action, o] {
    action = [o] {
      if (o->counted_child) return RunCountedChild(*o);
      return o->mode == "counts" ? RunRegressCounts(*o) : RunRegressTiming(*o);
    };
  });
}

}  // namespace rsr::harness
