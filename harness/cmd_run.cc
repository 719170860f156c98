#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>

#include "harness/bandwidth.h"
#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/measure.h"
#include "harness/memory.h"
#include "harness/report.h"
#include "harness/roofline.h"
#include "rsr/error.h"
#include "rsr/registry.h"

namespace rsr::harness {

namespace {

// A record matched to a probe of the bandwidth file gets its bandwidth
// fraction from kPairs windows of the kernel, each followed by a window of a
// probe of the weights' size (bandwidth_roof_mib; the level stays the
// file's match) on as many threads: bandwidth_fraction is the median
// of the per-pair ratios (bandwidth_fraction_min/_max their range),
// bandwidth_roof_gbps the median probe figure, and the file's figure stays
// as bandwidth_roof_gbps_file. A ratio of windows seconds apart, not of one
// kernel figure and one probe figure: DRAM bandwidth on a shared host drifts
// by 10-25% within minutes (the 2-thread 256 MiB probe read 47.9 GB/s at the
// start of one main.sh run and 71.5 a few minutes later), and one tq5
// 32768^2 record against a single probe measured right after it read 0.82,
// 0.95 and 1.02 of the roof in three runs of one binary. A cache probe can
// catch a stolen vCPU too (one run's 2-thread 1 MiB probe read 133.8 GB/s
// in all 9 samples, 384-389 re-measured). Each kernel window of a
// cache-level record starts with an untimed call (the probe evicted the
// weights). Skipped under emulation or when the buffer cannot be allocated.
// Costs about kPairs * 2 * kWindowS per record (a kernel call longer than
// the window counts as one window).
constexpr size_t kPairs = 5;
constexpr double kWindowS = 0.02;

void PairedRoof(nlohmann::json& r, int threads, bool emulated,
                const std::function<void()>& call) {
  if (emulated || !r.contains("bandwidth_roof_level")) return;
  const std::string level = r.at("bandwidth_roof_level");
  const double weight_bytes = r.at("prepared_bytes").get<double>();
  // The probe buffer has the weights' size (whole 64-byte lines per thread,
  // at least 4 KiB each), not the bandwidth file's level size: beyond the
  // L3, a smaller buffer keeps more of itself in the 32 MiB L3 between
  // passes (AMD EPYC family 26 model 2, `rsr-bench bandwidth`, 1 thread, two
  // rounds: 53 MiB 51.3-54.2 GB/s, 64 MiB 47.0-50.1), and tl2 16384^2 (56
  // MB) read 1.02-1.04 "of" the 64 MiB probe.
  const size_t per_thread = std::max<size_t>(
      4096, (static_cast<size_t>(weight_bytes) / threads + 63) / 64 * 64);
  const size_t bytes = per_thread * static_cast<size_t>(threads);
  std::optional<ReadProbe> probe;
  try {
    probe.emplace(BandwidthCase{level, bytes, threads});
  } catch (const Error&) {
    return;
  }
  std::vector<double> ratios, roofs;
  for (size_t i = 0; i < kPairs; ++i) {
    const std::vector<double> t =
        TimeCalls(call, {.warm_up = level == "DRAM" ? 0u : 1u,
                         .min_time_s = kWindowS,
                         .min_reps = 1});
    const double kernel_gbps = weight_bytes / Summarize(t).median_s / 1e9;
    const double probe_gbps = probe->SampleGbps(kWindowS);
    ratios.push_back(kernel_gbps / probe_gbps);
    roofs.push_back(probe_gbps);
  }
  const TimingStats ratio = Summarize(ratios);
  r["bandwidth_roof_gbps_file"] = r.at("bandwidth_roof_gbps");
  r["bandwidth_roof_gbps"] = Summarize(roofs).median_s;
  r["bandwidth_roof_mib"] = static_cast<double>(bytes) / (1 << 20);
  r["bandwidth_fraction"] = ratio.median_s;
  r["bandwidth_fraction_min"] = ratio.min_s;
  r["bandwidth_fraction_max"] = ratio.max_s;
  r["bandwidth_pairs"] = kPairs;
}

struct RunFlags {
  Selection sel;
  OutputFlags output;
  double min_time = 0.2;
  std::string csv;
  bool allow_emulated = false;
  // Scalar kernels (dense-naive, rsr, rsrpp) take seconds per call beyond
  // 8192^2; the default comparison samples them up to that size only.
  double slow_max = double(size_t{1} << 26);
  size_t max_memory_mib = 0;  // 0 = MemAvailable
  std::string roofline;       // rsr-bench roofline --format json
  std::string bandwidth;      // rsr-bench bandwidth --format json
};

int RunRun(const RunFlags& f) {
  // Timings under qemu-user are ~100x off and mean nothing.
  const bool emulated = LikelyEmulated();
  if (emulated && !f.allow_emulated)
    throw Error("run",
                "this looks like emulation (qemu-user): timings would be "
                "meaningless; pass --allow-emulated to run anyway");
  // Read before timing anything: a bad file fails in a second, not after.
  const Roofs roofs = Roofs::Load(f.roofline, f.bandwidth);
  const auto kernels = f.sel.KernelList();
  const auto shapes = f.sel.ShapeList();
  const auto tokens = f.sel.TokenList();
  const auto threads = f.sel.ThreadList();
  const auto ks = f.sel.KList();
  const auto targets = f.sel.TargetList();
  const size_t total = targets.size() * kernels.size() * shapes.size() *
                       tokens.size() * threads.size() * ks.size();
  size_t done = 0;
  std::vector<nlohmann::json> records;
  std::vector<std::string> skipped;
  const std::optional<size_t> avail =
      f.max_memory_mib > 0 ? std::optional<size_t>(f.max_memory_mib << 20)
                           : AvailableMemoryBytes();
  // Records a skipped (kernel, shape) once, with the reason, on stderr too.
  auto skip = [&](const std::string& what, const std::string& why) {
    const std::string line = what + ": " + why;
    if (std::find(skipped.begin(), skipped.end(), line) != skipped.end())
      return;
    std::fprintf(stderr, "skipped %s\n", line.c_str());
    skipped.push_back(line);
  };
  // Heap figures are null where they cannot be measured (sanitizer builds).
  auto heap = [](size_t bytes) {
    return AllocationPeak::Available() ? nlohmann::json(bytes)
                                       : nlohmann::json(nullptr);
  };
  auto gib = [](size_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f GiB", bytes / double(1u << 30));
    return std::string(buf);
  };
  for (const auto& s : shapes) {
    // Memory each kernel needs, estimated before generating the matrix: the
    // int8 matrix, the kernel's PrepareBytesBound and its largest call.
    std::map<std::string, size_t> need;
    const size_t max_tokens = *std::max_element(tokens.begin(), tokens.end());
    const size_t max_threads =
        *std::max_element(threads.begin(), threads.end());
    for (const auto& kn : kernels)
      for (size_t k : ks) {
        auto kernel =
            CreateKernel(kn, {.threads = static_cast<int>(max_threads),
                              .k = static_cast<int>(k)});
        const size_t io = 4 * max_tokens * (s.m + s.k);
        need[kn] = std::max(
            need[kn], s.m * s.k + io +
                          kernel->ScratchBytesBound(s.m, s.k, max_tokens) +
                          kernel->PrepareBytesBound(s.m, s.k));
      }
    bool any = false;
    for (const auto& kn : kernels) {
      if (avail && need[kn] > *avail) {
        skip(kn + " " + s.ToString(), "needs about " + gib(need[kn]) + ", " +
                                          gib(*avail) + " available");
        done += targets.size() * ks.size() * tokens.size() * threads.size();
      } else {
        any = true;
      }
    }
    if (!any) continue;
    const TernaryMatrix w = f.sel.binary ? RandomBinary(s.m, s.k, f.sel.seed)
                                         : RandomTernary(s.m, s.k, f.sel.seed);
    for (const auto& t : targets) {
      SetTargetBits(t.bits);
      for (const auto& kn : kernels)
        for (size_t k : ks) {
          if (avail && need[kn] > *avail) continue;
          KernelOptions opt;
          opt.k = static_cast<int>(k);
          auto kernel = CreateKernel(kn, opt);
          if (f.slow_max > 0 && !kernel->Caps().simd &&
              static_cast<double>(s.m) * s.k > f.slow_max) {
            done += tokens.size() * threads.size();
            skip(kn + " " + s.ToString(),
                 "scalar kernel above --slow-max-weights");
            continue;
          }
          // Prepare once; threads are a run-time option.
          AllocationPeak prepare_peak;
          kernel->Prepare(w);
          const size_t prepare_bytes = prepare_peak.Bytes();
          for (size_t th : threads) {
            kernel->SetThreads(static_cast<int>(th));
            for (size_t n : tokens) {
              Progress(++done, total,
                       kn + " " + s.ToString() + " N=" + std::to_string(n) +
                           " T=" + std::to_string(th) + " " + t.name);
              const auto x = RandomActivations(s.k * n, f.sel.seed + 1);
              std::vector<float> y(s.m * n);
              const TimingStats st = TimeGemm(*kernel, x, n, y, f.min_time);
              AllocationPeak call_peak;  // one more call, untimed
              kernel->Gemm(x, n, y);
              const size_t scratch_bytes = call_peak.Bytes();
              const double bytes = static_cast<double>(kernel->PreparedBytes());
              records.push_back(
                  {{"kernel", kn},
                   {"target", t.name},
                   {"m", s.m},
                   {"k", s.k},
                   {"tokens", n},
                   {"threads", th},
                   {"block_k", k},
                   {"activations", ActivationTypeName(kernel->activations())},
                   {"median_ms", st.median_s * 1e3},
                   {"min_ms", st.min_s * 1e3},
                   {"max_ms", st.max_s * 1e3},
                   {"mean_ms", st.mean_s * 1e3},
                   {"reps", st.reps},
                   {"prepared_bytes", kernel->PreparedBytes()},
                   {"bits_per_weight", kernel->BitsPerWeight()},
                   {"prepare_peak_bytes", heap(prepare_bytes)},
                   {"scratch_bytes", heap(scratch_bytes)},
                   {"gbps", bytes / st.median_s / 1e9}});
              if (const int bk = kernel->BlockK(n); bk > 0)
                records.back()["block_height"] = bk;
              roofs.Annotate(records.back());
              PairedRoof(records.back(), static_cast<int>(th), emulated,
                         [&] { kernel->Gemm(x, n, y); });
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
  if (f.output.format == "json") {
    nlohmann::json doc = ToDocument(records);
    doc["skipped"] = skipped;
    doc["min_time_s"] = f.min_time;
    WriteText(f.output.out, doc.dump(2) + "\n");
  } else if (f.output.format == "csv") {
    WriteText(f.output.out, ToCsv(records));
  } else {
    WriteText(f.output.out, ToTable(records));
  }
  if (!f.csv.empty()) WriteText(f.csv, ToCsv(records));
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, CommandResult& action) {
  auto [cmd, f] = AddCommand<RunFlags>(
      app, action, "run", "time kernels x shapes x tokens x threads x targets",
      RunRun);
  f->sel.AddFlags(*cmd);
  f->output.AddFlags(*cmd, {"table", "json", "csv"});
  cmd->add_option("--csv", f->csv,
                  "also write the records as CSV to this file");
  cmd->add_flag(
      "--allow-emulated", f->allow_emulated,
      "time even under emulation (qemu-user); results are marked emulated");
  cmd->add_option("--slow-max-weights", f->slow_max,
                  "skip kernels without SIMD when M*K exceeds this (0 = never)")
      ->capture_default_str();
  cmd->add_option("--max-memory-mib", f->max_memory_mib,
                  "skip cases whose estimated memory exceeds this (0 = the "
                  "machine's MemAvailable)")
      ->capture_default_str();
  cmd->add_option("--roofline", f->roofline,
                  "compute roof (rsr-bench roofline --format json): adds "
                  "compute_roof_fraction and cycles_per_kweight per record")
      ->check(CLI::ExistingFile);
  cmd->add_option("--bandwidth", f->bandwidth,
                  "memory roof (rsr-bench bandwidth --format json): adds "
                  "bandwidth_fraction against the size-matched probe")
      ->check(CLI::ExistingFile);
  cmd->add_option("--min-time", f->min_time, "seconds of timed calls per case")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
}

}  // namespace rsr::harness
