#include "harness/paper/reproduce.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness/machine.h"
#include "harness/measure.h"
#include "harness/memory.h"
#include "harness/paper/paper_faithful.h"
#include "harness/paper/paper_matrix.h"
#include "harness/paper/paper_rsr.h"
#include "rsr/error.h"
#include "rsr/registry.h"
#include "rsr/targets.h"

namespace rsr::harness {
namespace {

using nlohmann::json;

constexpr int kPaperMemoryK = 6;  // the "up to 6x less memory" claim


// A conservative upper bound of a kernel's prepared bytes plus scratch: float
// weights for the dense float kernel, one byte per weight for the others
// (every packed format here is <= 8 bits per weight).
bool FitsInMemory(const std::string& kernel, size_t m, size_t k,
                  std::string* why) {
  const size_t avail = AvailableMemoryBytes().value_or(0);
  if (avail == 0) return true;
  const double need = static_cast<double>(m) * static_cast<double>(k) *
                      (kernel == "dense-f32" ? 4.0 : 1.0);
  if (need < 0.7 * static_cast<double>(avail)) return true;
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "%s skipped at n=%zu: needs ~%.1f GiB, %.1f GiB available",
                kernel.c_str(), m, need / (1 << 30),
                static_cast<double>(avail) / (1 << 30));
  *why = buf;
  return false;
}

void Note(json& doc, const std::string& text) {
  std::fprintf(stderr, "[paper] note: %s\n", text.c_str());
  doc["notes"].push_back(text);
}

// One faithful row: a process per method (protocol.h), each on its own
// matrix, as the authors' per-method runs each drew a fresh random one.
json Faithful(size_t n, const PaperOptions& o, json& doc) {
  const int k = o.k ? o.k : paper::PaperK(n);
  json row = {{"n", n}, {"k", k}, {"processes", json::object()}};
  bool exact = true;
  for (size_t m = 0; m < paper::kPaperMethods.size(); ++m) {
    const std::string& method = paper::kPaperMethods[m];
    std::fprintf(stderr, "[paper] n=%zu faithful: process %zu/%zu (%s)\n", n,
                 m + 1, paper::kPaperMethods.size(), method.c_str());
    paper::ProcessSpec spec;
    spec.method = method;
    spec.n = n;
    spec.k = k;
    spec.runs = o.runs;
    spec.seed = o.seed + 1000 * n + 2 * m;
    const json r = paper::SpawnPaperProcess(o.exe, spec);
    std::string key = method;
    std::replace(key.begin(), key.end(), '-', '_');
    row["processes"][method] = r;
    row[key + "_ms"] = r["mean_ms"];
    row[key + "_int_ms"] = r["int_mean_ms"];
    if (!r["exact"].get<bool>()) {
      exact = false;
      Note(doc,
           "MISMATCH: faithful " + method +
               " differs from the reference product at n=" + std::to_string(n));
    }
  }
  row["exact"] = exact;
  // Speed-ups as the paper's table has them: ratios of the integer means
  // (null when the denominator's integer mean is 0 ms); the exact-mean
  // ratios beside them.
  for (const char* key : {"rsr", "rsrpp", "rsr_lean", "rsrpp_lean"}) {
    const std::string name = key;
    const long long den = row[name + "_int_ms"];
    row["speedup_naive_over_" + name] =
        den > 0 ? json(row["naive_int_ms"].get<double>() / den) : json();
    row["speedup_naive_over_" + name + "_exact"] =
        row["naive_ms"].get<double>() / row[name + "_ms"].get<double>();
  }
  const paper::PaperFigures fig = paper::PaperFiguresFor(n);
  if (fig.n) {
    row["paper_k"] = fig.k;
    row["paper_naive_ms"] = fig.naive_ms;
    row["paper_rsr_ms"] = fig.rsr_ms;
    row["paper_rsrpp_ms"] = fig.rsrpp_ms;
    row["paper_speedup_naive_over_rsr"] = fig.naive_ms / fig.rsr_ms;
    row["paper_speedup_naive_over_rsrpp"] = fig.naive_ms / fig.rsrpp_ms;
  }
  return row;
}

json KernelMemory(const Kernel& kernel, size_t n) {
  return {{"n", n},
          {"kernel", kernel.Name()},
          {"prepared_bytes", kernel.PreparedBytes()},
          {"bits_per_weight", kernel.BitsPerWeight()}};
}

}  // namespace

json RunPaper(const PaperOptions& o) {
  if (o.sizes.empty()) throw Error("sizes", "empty list");
  for (size_t n : o.sizes) paper::CheckPaperSize(n);
  if (o.runs < 1 || o.runs > 1000) throw Error("runs", "must be in 1..1000");
  if (o.k < 0 || o.k > paper::kFaithfulMaxK)
    throw Error("k", "must be in 0.." + std::to_string(paper::kFaithfulMaxK));
  if (!(o.min_time_s >= 0 && o.min_time_s <= 60))
    throw Error("min-time", "must be in 0..60 s");
  if (!o.faithful && !o.modern && !o.memory)
    throw Error("tables", "no table selected");

  json doc;
  doc["context"] = ToJson(GetMachineInfo());
  doc["conditions"] = {
      {"matrix",
       "binary {0,1}, P(1) = 0.5, n x n; faithful: a fresh one per "
       "process (seed + 1000 n + 2 i for method i), modern: seed + "
       "n; seed " +
           std::to_string(o.seed)},
      {"vector", "int uniform in [0,100] (modern: as float)"},
      {"faithful",
       "the authors' protocol: one process per method and size, index built "
       "before the timer, no warm-up, 1 thread, -O0 (g++), vector<vector<int>>;"
       " each run truncated to whole ms, integer mean (as printed by the "
       "authors' code) beside the exact mean"},
      {"modern", "registry kernels at -O3 (" + CurrentTargetName() +
                     "), 1 thread, median, warm-up"},
      {"runs", o.runs},
      {"min_time_s", o.min_time_s}};
  doc["faithful"] = json::array();
  doc["modern"] = json::array();
  doc["memory_paper"] = json::array();
  doc["memory_kernels"] = json::array();
  doc["notes"] = json::array();

  const auto names = KernelNames();
  std::vector<std::string> modern_kernels;
  for (const auto& name : o.kernels) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      if (o.modern)
        Note(doc,
             "kernel '" + name + "' is not in the registry (yet): skipped");
    } else {
      modern_kernels.push_back(name);
    }
  }

  for (size_t n : o.sizes) {
    double paper_naive_ms = 0;
    if (o.faithful) {
      // The naive process holds A as n x n ints (4 GiB at n = 2^15).
      const size_t avail = AvailableMemoryBytes().value_or(0);
      const double need = 4.2 * static_cast<double>(n) * static_cast<double>(n);
      if (avail && need > 0.8 * static_cast<double>(avail)) {
        char buf[160];
        std::snprintf(buf, sizeof(buf),
                      "faithful skipped at n=%zu: needs ~%.1f GiB, %.1f GiB "
                      "available",
                      n, need / (1 << 30),
                      static_cast<double>(avail) / (1 << 30));
        Note(doc, buf);
      } else {
        json f = Faithful(n, o, doc);
        paper_naive_ms = f["naive_ms"];
        doc["faithful"].push_back(f);
      }
    }
    if (!o.modern && !o.memory) continue;
    std::fprintf(stderr, "[paper] n=%zu: generating the matrix\n", n);
    const TernaryMatrix w = RandomBinary(n, n, o.seed + n);
    const std::vector<int> v = paper::RandomIntVector(n, o.seed + n + 1);
    std::set<std::string> measured;
    if (o.modern) {
      const std::vector<float> x(v.begin(), v.end());
      std::vector<float> y(n);
      std::map<std::string, double> ms_of;
      std::vector<json> rows;
      for (const auto& name : modern_kernels) {
        std::string why;
        if (!FitsInMemory(name, n, n, &why)) {
          Note(doc, why);
          continue;
        }
        std::fprintf(stderr, "[paper] n=%zu modern: %s\n", n, name.c_str());
        KernelOptions opt;
        opt.threads = 1;
        std::unique_ptr<Kernel> kernel;
        try {
          kernel = CreateKernel(name, opt);
          kernel->Prepare(w);
        } catch (const Error& e) {
          Note(doc,
               name + " skipped at n=" + std::to_string(n) + ": " + e.what());
          continue;
        }
        const TimingStats st = TimeGemm(*kernel, x, 1, y, o.min_time_s);
        const double ms = st.median_s * 1e3;
        ms_of[name] = ms;
        json r = {{"n", n},
                  {"kernel", name},
                  {"target",
                   kernel->Caps().simd ? CurrentTargetName() : "scalar-c++"},
                  {"m", n},
                  {"k", n},
                  {"tokens", 1},
                  {"threads", 1},
                  {"activations", ActivationTypeName(kernel->activations())},
                  {"median_ms", ms},
                  {"min_ms", st.min_s * 1e3},
                  {"max_ms", st.max_s * 1e3},
                  {"reps", st.reps},
                  {"prepared_bytes", kernel->PreparedBytes()},
                  {"bits_per_weight", kernel->BitsPerWeight()},
                  {"gbps", static_cast<double>(kernel->PreparedBytes()) /
                               st.median_s / 1e9}};
        if (paper_naive_ms > 0)
          r["speedup_vs_paper_naive"] = paper_naive_ms / ms;
        rows.push_back(r);
        if (o.memory) {
          doc["memory_kernels"].push_back(KernelMemory(*kernel, n));
          measured.insert(name);
        }
      }
      for (auto& r : rows) {
        const double ms = r["median_ms"];
        const std::pair<const char*, const char*> kBases[] = {
            {"dense-naive", "speedup_vs_dense_naive"},
            {"dense-f32", "speedup_vs_dense_f32"}};
        for (const auto& [base, field] : kBases)
          if (ms_of.count(base)) r[field] = ms_of[base] / ms;
        doc["modern"].push_back(r);
      }
    }
    if (o.memory) {
      const size_t dense = paper::PaperDenseInt64Bytes(n, n);
      const size_t index = paper::PaperIndexInt64Bytes(n, n, kPaperMemoryK);
      doc["memory_paper"].push_back(
          {{"n", n},
           {"k", kPaperMemoryK},
           {"dense_int64_bytes", dense},
           {"index_int64_bytes", index},
           {"ratio", static_cast<double>(dense) / static_cast<double>(index)}});
      for (const auto& name : names) {
        if (measured.count(name)) continue;
        std::string why;
        if (!FitsInMemory(name, n, n, &why)) {
          Note(doc, "memory table: " + why);
          continue;
        }
        std::fprintf(stderr, "[paper] n=%zu memory: preparing %s\n", n,
                     name.c_str());
        try {
          KernelOptions opt;
          opt.threads = 1;
          auto kernel = CreateKernel(name, opt);
          kernel->Prepare(w);
          doc["memory_kernels"].push_back(KernelMemory(*kernel, n));
        } catch (const Error& e) {
          Note(doc, "memory table: " + name + " at n=" + std::to_string(n) +
                        ": " + e.what());
        }
      }
    }
  }
  return doc;
}

// ---------------------------------------------------------------- rendering

namespace {

std::string Num(const json& v, const char* fmt = nullptr) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "NO";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  const double x = v.get<double>();
  // Milliseconds span 1e-3..1e5: three significant digits, no exponent.
  if (fmt == nullptr)
    fmt = x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : x >= 1 ? "%.2f" : "%.3g";
  char buf[48];
  std::snprintf(buf, sizeof(buf), fmt, x);
  return buf;
}

std::string Get(const json& r, const char* key, const char* fmt = nullptr) {
  return r.contains(key) ? Num(r[key], fmt) : "";
}

std::string Mib(const json& r, const char* key) {
  if (!r.contains(key)) return "";
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.2f", r[key].get<double>() / (1 << 20));
  return buf;
}

std::string Times(const json& r, const char* key) {
  const std::string s = Get(r, key, "%.2f");
  return s.empty() ? s : s + "x";
}

void Grid(std::ostringstream& out, const std::string& title,
          const std::vector<std::string>& head,
          const std::vector<std::vector<std::string>>& rows, bool markdown) {
  if (markdown) {
    out << "### " << title << "\n\n|";
    for (const auto& h : head) out << " " << h << " |";
    out << "\n|";
    for (size_t i = 0; i < head.size(); ++i) out << (i < 2 ? "---|" : "--:|");
    out << "\n";
    for (const auto& row : rows) {
      out << "|";
      for (const auto& c : row) out << " " << c << " |";
      out << "\n";
    }
    out << "\n";
    return;
  }
  std::vector<size_t> w(head.size());
  for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < w.size(); ++i)
      w[i] = std::max(w[i], row[i].size());
  out << title << "\n";
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i)
      out << std::string(w[i] - cells[i].size(), ' ') << cells[i]
          << (i + 1 < cells.size() ? "  " : "\n");
  };
  line(head);
  for (const auto& row : rows) line(row);
  out << "\n";
}

}  // namespace

std::string RenderPaperTables(const json& doc, bool markdown) {
  std::ostringstream out;
  const json& ctx = doc["context"];
  if (markdown) out << "## RSR paper reproduction (docs/algorithms.md §6)\n\n";
  out << (markdown ? "Machine: " : "machine: ") << ctx.value("cpu_model", "?")
      << ", " << ctx.value("compiler", "?") << ", git "
      << ctx.value("git_revision", "?") << ", " << ctx.value("date", "?")
      << (markdown ? "\n\n" : "\n\n");
  if (!doc["faithful"].empty()) {
    // "int (exact)": the authors' whole-ms integer mean, then the exact mean.
    auto ms = [](const json& r, const std::string& key) {
      if (!r.contains(key + "_ms")) return std::string();
      return Get(r, (key + "_int_ms").c_str()) + " (" +
             Get(r, (key + "_ms").c_str()) + ")";
    };
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : doc["faithful"]) {
      std::string paper_ms;
      if (r.contains("paper_naive_ms"))
        paper_ms = Get(r, "paper_naive_ms", "%.0f") + " / " +
                   Get(r, "paper_rsr_ms", "%.0f") + " / " +
                   Get(r, "paper_rsrpp_ms", "%.0f");
      rows.push_back({Get(r, "n"), Get(r, "k"), ms(r, "naive"), ms(r, "rsr"),
                      ms(r, "rsrpp"), Times(r, "speedup_naive_over_rsr"),
                      Times(r, "speedup_naive_over_rsrpp"), paper_ms,
                      Times(r, "paper_speedup_naive_over_rsr"),
                      Times(r, "paper_speedup_naive_over_rsrpp"),
                      ms(r, "rsr_lean"), ms(r, "rsrpp_lean"),
                      Times(r, "speedup_naive_over_rsrpp_lean"),
                      Get(r, "exact")});
    }
    Grid(out,
         "Faithful: the authors' code paths and protocol (-O0, "
         "vector<vector<int>>, one process per method, " +
             Num(doc["conditions"]["runs"]) +
             " runs); ms as whole-ms integer mean (exact mean); speed-ups "
             "from the integer means, as the paper's",
         {"n", "k", "naive ms", "RSR ms", "RSR++ ms", "naive/RSR",
          "naive/RSR++", "paper ms (naive / RSR / RSR++)", "paper naive/RSR",
          "paper naive/RSR++", "lean -O0 RSR ms", "lean -O0 RSR++ ms",
          "lean naive/RSR++", "exact"},
         rows, markdown);
  }
  if (!doc["modern"].empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : doc["modern"])
      rows.push_back({Get(r, "n"), Get(r, "kernel"), Get(r, "target"),
                      Get(r, "activations"), Get(r, "median_ms"),
                      Times(r, "speedup_vs_paper_naive"),
                      Times(r, "speedup_vs_dense_naive"),
                      Times(r, "speedup_vs_dense_f32"),
                      Get(r, "bits_per_weight", "%.3g"), Get(r, "gbps")});
    Grid(out,
         "Modern: a binary W of the same kind and v (as float), -O3 registry "
         "kernels, 1 thread, median ms; speed-up over the faithful naive loop "
         "(-O0), dense-naive (-O3 row-major) and dense-f32",
         {"n", "kernel", "target", "act", "median ms", "vs paper naive",
          "vs dense-naive", "vs dense-f32", "bits/w", "GB/s"},
         rows, markdown);
  }
  if (!doc["memory_paper"].empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : doc["memory_paper"])
      rows.push_back({Get(r, "n"), Mib(r, "dense_int64_bytes"), Get(r, "k"),
                      Mib(r, "index_int64_bytes"),
                      Get(r, "ratio", "%.2f") + "x"});
    Grid(out,
         "Memory, the paper's comparison: dense int64 matrix vs int64 "
         "permutation + segment index (ratio ~ k)",
         {"n", "dense int64 MiB", "k", "index int64 MiB", "ratio"}, rows,
         markdown);
  }
  if (!doc["memory_kernels"].empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : doc["memory_kernels"])
      rows.push_back({Get(r, "n"), Get(r, "kernel"), Mib(r, "prepared_bytes"),
                      Get(r, "bits_per_weight", "%.3f")});
    Grid(out,
         "Memory of the registry kernels: PreparedBytes (weights, index, "
         "scales)",
         {"n", "kernel", "prepared MiB", "bits/weight"}, rows, markdown);
  }
  if (!doc["notes"].empty()) {
    out << (markdown ? "Notes:\n\n" : "notes:\n");
    for (const auto& n : doc["notes"])
      out << (markdown ? "* " : "  - ") << n.get<std::string>() << "\n";
    out << "\n";
  }
  return out.str();
}

}  // namespace rsr::harness
