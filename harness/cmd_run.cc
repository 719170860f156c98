#include <algorithm>
#include <cstdio>
#include <map>

#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/measure.h"
#include "harness/report.h"
#include "rsr/error.h"
#include "rsr/registry.h"

namespace rsr::harness {

void AddRunCommand(CLI::App& app, CommandResult& action) {
  auto* cmd = app.add_subcommand(
      "run", "time kernels x shapes x tokens x threads x targets");
  auto sel = std::make_shared<Selection>();
  auto format = std::make_shared<std::string>("table");
  auto out = std::make_shared<std::string>("-");
  auto min_time = std::make_shared<double>(0.2);
  auto csv = std::make_shared<std::string>();
  auto allow_emulated = std::make_shared<bool>(false);
  // Scalar kernels (dense-naive, rsr, rsrpp) take seconds per call beyond
  // 8192^2; the default comparison samples them up to that size only.
  auto slow_max = std::make_shared<double>(double(size_t{1} << 26));
  sel->AddFlags(*cmd);
  cmd->add_option("--format", *format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--out", *out, "output file ('-' = stdout)")->capture_default_str();
  cmd->add_option("--csv", *csv, "also write the records as CSV to this file");
  cmd->add_flag("--allow-emulated", *allow_emulated,
                "time even under emulation (qemu-user); results are marked emulated");
  cmd->add_option("--slow-max-weights", *slow_max,
                  "skip kernels without SIMD when M*K exceeds this (0 = never)")
      ->capture_default_str();
  cmd->add_option("--min-time", *min_time, "seconds of timed calls per case")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  cmd->callback([&action, sel, format, out, min_time, csv, slow_max, allow_emulated] {
    action = [sel, format, out, min_time, csv, slow_max, allow_emulated] {
      // Timings under qemu-user are ~100x off and mean nothing.
      const bool emulated = LikelyEmulated();
      if (emulated && !*allow_emulated)
        throw Error("run", "this looks like emulation (qemu-user): timings would be "
                           "meaningless; pass --allow-emulated to run anyway");
      const auto kernels = sel->KernelList();
      const auto shapes = sel->ShapeList();
      const auto tokens = sel->TokenList();
      const auto threads = sel->ThreadList();
      const auto ks = sel->KList();
      const auto targets = sel->TargetList();
      const size_t total = targets.size() * kernels.size() * shapes.size() *
                           tokens.size() * threads.size() * ks.size();
      size_t done = 0;
      std::vector<nlohmann::json> records;
      std::vector<std::string> skipped;
      for (const auto& s : shapes) {
        const TernaryMatrix w =
            sel->binary ? RandomBinary(s.m, s.k, sel->seed)
                        : RandomTernary(s.m, s.k, sel->seed);
        for (const auto& t : targets) {
          SetTargetBits(t.bits);
          for (const auto& kn : kernels)
            for (size_t k : ks) {
              KernelOptions opt;
              opt.k = static_cast<int>(k);
              auto kernel = CreateKernel(kn, opt);
              if (*slow_max > 0 && !kernel->Caps().simd &&
                  static_cast<double>(s.m) * s.k > *slow_max) {
                done += tokens.size() * threads.size();
                const std::string what = kn + " " + s.ToString();
                if (std::find(skipped.begin(), skipped.end(), what) == skipped.end()) {
                  std::fprintf(stderr, "skipped %s: scalar kernel above --slow-max-weights\n",
                               what.c_str());
                  skipped.push_back(what);
                }
                continue;
              }
              // Prepare once; threads are a run-time option.
              kernel->Prepare(w);
              for (size_t th : threads) {
                kernel->SetThreads(static_cast<int>(th));
                for (size_t n : tokens) {
                  Progress(++done, total,
                           kn + " " + s.ToString() + " N=" + std::to_string(n) +
                               " T=" + std::to_string(th) + " " + t.name);
                  const auto x = RandomActivations(s.k * n, sel->seed + 1);
                  std::vector<float> y(s.m * n);
                  const TimingStats st = TimeGemm(*kernel, x, n, y, *min_time);
                  const double bytes = static_cast<double>(kernel->PreparedBytes());
                  records.push_back({
                      {"kernel", kn}, {"target", t.name}, {"m", s.m}, {"k", s.k},
                      {"tokens", n}, {"threads", th}, {"block_k", k},
                      {"activations", ActivationTypeName(kernel->activations())},
                      {"median_ms", st.median_s * 1e3}, {"min_ms", st.min_s * 1e3},
                      {"max_ms", st.max_s * 1e3}, {"mean_ms", st.mean_s * 1e3},
                      {"reps", st.reps},
                      {"prepared_bytes", kernel->PreparedBytes()},
                      {"bits_per_weight", kernel->BitsPerWeight()},
                      {"gbps", bytes / st.median_s / 1e9}});
                  if (emulated) records.back()["emulated"] = true;
                }
              }
            }
        }
      }
      SetTargetBits(0);
      // Speed-up against dense-f32 measured in the same run, same case.
      std::map<std::string, double> dense;
      auto key = [](const nlohmann::json& r) {
        return r["target"].get<std::string>() + "|" + r["m"].dump() + "|" +
               r["k"].dump() + "|" + r["tokens"].dump() + "|" + r["threads"].dump();
      };
      for (const auto& r : records)
        if (r["kernel"] == "dense-f32") dense[key(r)] = r["median_ms"];
      for (auto& r : records)
        if (auto it = dense.find(key(r)); it != dense.end())
          r["speedup_vs_dense_f32"] = it->second / r["median_ms"].get<double>();
      if (*format == "json") {
        nlohmann::json doc = ToDocument(records);
        doc["skipped"] = skipped;
        doc["min_time_s"] = *min_time;
        WriteText(*out, doc.dump(2) + "\n");
      } else if (*format == "csv") {
        WriteText(*out, ToCsv(records));
      } else {
        WriteText(*out, ToTable(records));
      }
      if (!csv->empty()) WriteText(*csv, ToCsv(records));
      return 0;
    };
  });
}

}  // namespace rsr::harness
