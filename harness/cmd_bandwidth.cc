// rsr-bench bandwidth: read bandwidth per (buffer size, threads), the
// roofline the plots use. Sizes default to this machine class's L2 (1 MiB),
// L3 (16 MiB) and DRAM (512 MiB, well past the 32 MiB L3).
#include <cstdio>
#include <sstream>

#include "harness/bandwidth.h"
#include "harness/cli.h"
#include "harness/report.h"
#include "harness/shapes.h"
#include "rsr/error.h"

namespace rsr::harness {
namespace {

struct BandwidthFlags {
  std::string threads = "1,2";
  size_t l2_kib = 1024;
  size_t l3_mib = 16;
  std::string dram_mib = "512";
  size_t reps = 9;
  double min_sample_ms = 5;
  OutputFlags output;
};

std::string Fmt(double v, const char* f = "%.1f") {
  char buf[32];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string RenderTable(const std::vector<BandwidthResult>& rs) {
  std::ostringstream o;
  char line[160];
  std::snprintf(line, sizeof(line),
                "%-6s %10s %8s %10s %10s %10s %6s %7s  %s\n", "level", "MiB",
                "threads", "GB/s", "min", "max", "reps", "passes", "target");
  o << line;
  for (const auto& r : rs) {
    std::snprintf(line, sizeof(line),
                  "%-6s %10.3f %8d %10.1f %10.1f %10.1f %6zu %7zu  %s\n",
                  r.config.level.c_str(),
                  static_cast<double>(r.config.bytes) / (1 << 20),
                  r.config.threads, r.gbps_median, r.gbps_min, r.gbps_max,
                  r.reps, r.passes, r.target.c_str());
    o << line;
  }
  return o.str();
}

std::string RenderCsv(const std::vector<BandwidthResult>& rs) {
  std::ostringstream o;
  o << "level,bytes,threads,gbps,gbps_min,gbps_max,reps,passes,target\n";
  for (const auto& r : rs)
    o << r.config.level << "," << r.config.bytes << "," << r.config.threads
      << "," << Fmt(r.gbps_median, "%.3f") << "," << Fmt(r.gbps_min, "%.3f")
      << "," << Fmt(r.gbps_max, "%.3f") << "," << r.reps << "," << r.passes
      << "," << r.target << "\n";
  return o.str();
}

int RunBandwidth(const BandwidthFlags& f) {
  const auto threads = ParseList(f.threads, "threads");
  if (f.reps < 1 || f.reps > 1000)
    throw Error("reps", "must be in 1..1000, got " + std::to_string(f.reps));
  if (!(f.min_sample_ms > 0 && f.min_sample_ms <= 10000))
    throw Error("min-sample-ms", "must be in (0, 10000]");
  constexpr size_t kMaxMib = size_t{1} << 20;  // 1 TiB: typo guard
  if (f.l2_kib > kMaxMib * 1024) throw Error("l2-kib", "too large");
  if (f.l3_mib > kMaxMib) throw Error("l3-mib", "too large");
  std::vector<size_t> dram;
  if (f.dram_mib != "0") dram = ParseList(f.dram_mib, "dram-mib");
  for (size_t mib : dram)
    if (mib > kMaxMib) throw Error("dram-mib", "too large");
  std::vector<BandwidthCase> cases;
  for (size_t t : threads) {
    if (t > 1024) throw Error("threads", "at most 1024");
    const int th = static_cast<int>(t);
    if (f.l2_kib) cases.push_back({"L2", f.l2_kib << 10, th});
    if (f.l3_mib) cases.push_back({"L3", f.l3_mib << 20, th});
    for (size_t mib : dram) cases.push_back({"DRAM", mib << 20, th});
  }
  if (cases.empty()) throw Error("dram-mib", "every size is 0: nothing to do");
  std::vector<BandwidthResult> results;
  std::vector<nlohmann::json> records;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    Progress(i + 1, cases.size(),
             c.level + " " + std::to_string(c.bytes >> 10) + " KiB, " +
                 std::to_string(c.threads) + " thread(s)");
    results.push_back(MeasureReadBandwidth(c, f.reps, f.min_sample_ms * 1e-3));
    records.push_back(results.back().ToJson());
  }
  if (f.output.format == "json") {
    WriteText(f.output.out, ToDocument(records).dump(2) + "\n");
  } else if (f.output.format == "csv") {
    WriteText(f.output.out, RenderCsv(results));
  } else {
    WriteText(f.output.out, RenderTable(results));
  }
  return 0;
}

}  // namespace

void AddBandwidthCommand(CLI::App& app, CommandResult& action) {
  auto [cmd, f] = AddCommand<BandwidthFlags>(
      app, action, "bandwidth",
      "read bandwidth (int64 SIMD sum) per buffer size and thread count: the "
      "memory roofline",
      RunBandwidth);
  cmd->add_option("--threads", f->threads, "thread counts, comma list")
      ->capture_default_str();
  cmd->add_option("--l2-kib", f->l2_kib, "L2-resident buffer, KiB (0 = skip)")
      ->capture_default_str();
  cmd->add_option("--l3-mib", f->l3_mib, "L3-resident buffer, MiB (0 = skip)")
      ->capture_default_str();
  cmd->add_option(
         "--dram-mib", f->dram_mib,
         "DRAM buffers, MiB, comma list (0 = skip; >= 512 recommended, "
         "several times the L3; add a kernel's own size, e.g. 64, for "
         "its roofline: buffers 1-4x the L3 partly stay in it)")
      ->capture_default_str();
  cmd->add_option("--reps", f->reps, "samples per case; the median is reported")
      ->capture_default_str();
  cmd->add_option("--min-sample-ms", f->min_sample_ms,
                  "minimum duration of one sample (passes are repeated)")
      ->capture_default_str();
  f->output.AddFlags(*cmd, {"table", "json", "csv"});
}

}  // namespace rsr::harness
