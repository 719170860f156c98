// rsr-bench regress --mode counts: a gate that load cannot move. Each kernel
// runs the fixed subset in a child process under valgrind's callgrind; the
// child prepares the kernel with instrumentation off, then per (shape,
// tokens) makes one warm-up call and `calls` counted calls between client
// requests (zero, dump), so a dump holds exactly those calls. Instructions
// and simulated D1 / LL data misses per call are compared with
// results/counts-baseline.json, keyed by compiler, build type and target.
//
// Why these choices:
// * valgrind 3.19 does not run AVX-512 (it hides it from CPUID), so the
//   counts are of the AVX2 target, forced and recorded; on a CPU without
//   AVX2 the check is skipped.
// * It cannot decode rdtscp, which steady_clock reads through the vDSO here:
//   the child calls kernels with no timer at all (the parent times itself).
// * The simulated caches are fixed (kCaches), not read from the host's
//   CPUID, so that a Zen 4 and a Zen 5 machine count the same misses.
// * The children run with address-space randomization off, a minimal
//   environment, argv of fixed length and the counted calls at fixed stack
//   placements, so that two runs of one binary count exactly the same
//   (spread and thresholds: CountThresholds).
//
// Exit codes: 0 nothing grew beyond its threshold (or --update, or
// --report-only, or no baseline entry for this compiler: reported, skipped),
// 1 a regression, 2 bad arguments / valgrind missing / a child failed.
#include <alloca.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/regress.h"
#include "harness/regress_compare.h"
#include "harness/report.h"
#include "harness/shapes.h"
#include "rsr/error.h"
#include "rsr/registry.h"
#include "rsr/rsr.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define RSR_HAVE_CALLGRIND 1
#endif
#endif
#ifndef RSR_HAVE_CALLGRIND
#define RSR_HAVE_CALLGRIND 0
#endif

namespace rsr::harness {
namespace {

constexpr char kCountedTarget[] = "AVX2";
// callgrind's simulated caches (size, associativity, line bytes): Zen 5's
// L1I and L1D (32 KiB 8-way, 48 KiB 12-way) and, as the last level, one
// core's 1 MiB 16-way L2 rather than the shared L3. The prepared matrices of
// the default subset are 0.9-70 MB, about the LL's size or larger, so LL
// misses per call track the bytes a call streams from beyond L2 (/ 64),
// which is what a format or layout change moves; with the 32 MiB L3 as LL
// most kernels' misses would be zero.
const std::vector<std::pair<std::string, std::string>> kCaches = {
    {"I1", "32768,8,64"}, {"D1", "49152,12,64"}, {"LL", "1048576,16,64"}};
constexpr char kLabelPrefix[] = "rsr-count:";

std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}


// Output of a short command (valgrind --version), trimmed; "" on failure.
std::string Capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof(buf), p)) out += buf;
    if (pclose(p) != 0) return "";
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Child {
  std::string kernel;
  std::string log, out;  // paths
  pid_t pid = -1;
};

// The environment a counted child gets: PATH (to find valgrind) and
// VALGRIND_LIB (a valgrind installed elsewhere), nothing else. The client's
// stack holds its environment, so a different shell environment would move
// the stack's cache sets and with them a few misses per call.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (const char* name : {"PATH", "VALGRIND_LIB"})
    if (const char* v = std::getenv(name))
      env.push_back(std::string(name) + "=" + v);
  return env;
}

// Starts argv with stdout and stderr to `log`.
pid_t Spawn(const std::vector<std::string>& argv,
            const std::vector<std::string>& env, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  auto pointers = [](const std::vector<std::string>& v) {
    std::vector<char*> p;
    for (const auto& a : v) p.push_back(const_cast<char*>(a.c_str()));
    p.push_back(nullptr);
    return p;
  };
  std::vector<char*> args = pointers(argv), envp = pointers(env);
  pid_t pid = -1;
  const int rc =
      posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    throw Error("valgrind", "cannot start " + argv[0] + ": " +
                                std::string(std::strerror(rc)));
  return pid;
}

std::string Tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

std::string EntryKey(const MachineInfo& m) {
  return m.compiler + " | " + m.build_type + " | " + kCountedTarget;
}

nlohmann::json CacheJson() {
  nlohmann::json c = nlohmann::json::object();
  for (const auto& [name, spec] : kCaches) c[name] = spec;
  return c;
}

std::map<std::string, CountCase> CasesFromJson(const nlohmann::json& cases) {
  std::map<std::string, CountCase> out;
  for (const auto& [key, v] : cases.items()) {
    CountCase c;
    c.kernel = v.at("kernel").get<std::string>();
    c.m = v.at("m").get<size_t>();
    c.k = v.at("k").get<size_t>();
    c.tokens = v.at("tokens").get<size_t>();
    c.calls = v.at("calls").get<size_t>();
    c.prepared_bytes = v.value("prepared_bytes", size_t{0});
    c.per_call.instructions = v.at("instructions").get<double>();
    c.per_call.d1_misses = v.at("d1_misses").get<double>();
    c.per_call.ll_misses = v.at("ll_misses").get<double>();
    out[key] = c;
  }
  return out;
}

nlohmann::json CaseJson(const CountCase& c) {
  return {{"kernel", c.kernel},
          {"m", c.m},
          {"k", c.k},
          {"tokens", c.tokens},
          {"calls", c.calls},
          {"prepared_bytes", c.prepared_bytes},
          {"instructions", c.per_call.instructions},
          {"d1_misses", c.per_call.d1_misses},
          {"ll_misses", c.per_call.ll_misses}};
}

// Reads every dump a child wrote (<out>.1, <out>.2, ...).
void CollectDumps(const Child& child, std::map<std::string, CountCase>& out) {
  namespace fs = std::filesystem;
  const fs::path base(child.out);
  for (const auto& e : fs::directory_iterator(base.parent_path())) {
    const std::string name = e.path().filename().string();
    if (name.rfind(base.filename().string() + ".", 0) != 0) continue;
    const CallgrindDump d = ParseCallgrindDump(ReadText(e.path().string()));
    if (d.trigger.rfind(kLabelPrefix, 0) != 0) continue;
    // rsr-count:<kernel>:<m>:<k>:<tokens>:<calls>:<prepared bytes>
    std::vector<std::string> f;
    std::stringstream ss(d.trigger.substr(sizeof(kLabelPrefix) - 1));
    std::string item;
    while (std::getline(ss, item, ':')) f.push_back(item);
    if (f.size() != 6) throw Error("callgrind", "bad label " + d.trigger);
    CountCase c;
    c.kernel = f[0];
    c.m = std::stoul(f[1]);
    c.k = std::stoul(f[2]);
    c.tokens = std::stoul(f[3]);
    c.calls = std::stoul(f[4]);
    c.prepared_bytes = std::stoull(f[5]);
    auto get = [&](const char* ev) {
      const auto it = d.totals.find(ev);
      if (it == d.totals.end())
        throw Error("callgrind", std::string("no ") + ev +
                                     " events (was --cache-sim=yes given?)");
      return static_cast<double>(it->second);
    };
    const double calls = static_cast<double>(c.calls);
    c.per_call.instructions = get("Ir") / calls;
    c.per_call.d1_misses = (get("D1mr") + get("D1mw")) / calls;
    c.per_call.ll_misses = (get("DLmr") + get("DLmw")) / calls;
    out[CountCaseKey(c.kernel, c.m, c.k, c.tokens)] = c;
  }
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

#if RSR_HAVE_CALLGRIND
// One call with the stack pointer at a fixed offset within a 4 KiB page
// (plus `offset`), whatever the frames above occupy (argument parsing; the
// environment and argv at the stack's top). Kernels keep tables and
// accumulators on the stack, and where those fall among the simulated D1's
// 64 sets (a 4 KiB period) moves their misses.
__attribute__((noinline)) void CallAt(const Kernel& kernel,
                                      std::span<const float> x, size_t tokens,
                                      std::span<float> y, size_t offset) {
  const auto sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  volatile char* pad = static_cast<char*>(alloca((sp & 4095) + offset + 1));
  pad[0] = 0;
  kernel.Gemm(x, tokens, y);
}

// One warm-up call (the simulated caches, lazy binding), then `calls`
// counted calls between zeroing and dumping the counters. Call c runs at
// stack offset base + c * 4096 / calls: misses per call are then an average
// over stack placements, which a code change that shifts the stack moves far
// less than it moves one placement (tl2 2048x2048 N=1, D1 misses over a
// sweep of the whole page: 8.8% for one placement, 1.2% for four).
void CountCalls(const Kernel& kernel, std::span<const float> x, size_t tokens,
                std::span<float> y, size_t calls, std::string& label,
                size_t base) {
  auto offset = [&](size_t c) { return base + (c * 4096 / calls) / 64 * 64; };
  CALLGRIND_START_INSTRUMENTATION;
  CallAt(kernel, x, tokens, y, offset(0));
  CALLGRIND_ZERO_STATS;
  for (size_t c = 0; c < calls; ++c) CallAt(kernel, x, tokens, y, offset(c));
  CALLGRIND_DUMP_STATS_AT(label.data());
  CALLGRIND_STOP_INSTRUMENTATION;
}
#endif

}  // namespace

int RunRegressCounts(const RegressOptions& o) {
  if (LikelyEmulated()) {
    std::fprintf(stderr,
                 "rsr-bench regress --mode counts: refusing under emulation "
                 "(qemu-user): valgrind cannot run an emulated binary.\n");
    return 2;
  }
  if (!RSR_HAVE_CALLGRIND)
    throw Error("mode",
                "counts mode needs <valgrind/callgrind.h> at build time "
                "(Debian package valgrind, which scripts/setup.sh installs); "
                "rebuild after installing it");
  if (o.baseline.empty())
    throw Error("baseline", "--baseline PATH is required");
  if (!(o.instr_threshold > 0)) throw Error("instr-threshold", "must be > 0");
  if (!(o.miss_threshold > 0)) throw Error("miss-threshold", "must be > 0");
  const std::string valgrind_version =
      Capture(ShellQuote(o.valgrind) + " --version 2>/dev/null");
  if (valgrind_version.empty())
    throw Error("valgrind", "cannot run '" + o.valgrind +
                                " --version': install Debian's valgrind "
                                "(scripts/setup.sh does) or pass --valgrind");

  const auto known = KernelNames();
  std::vector<std::string> kernels;
  for (const auto& k : o.kernels.empty() ? known : SplitComma(o.kernels)) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      std::printf("skip  kernel %-12s not in the registry\n", k.c_str());
      continue;
    }
    if (std::find(kernels.begin(), kernels.end(), k) == kernels.end())
      kernels.push_back(k);
  }
  if (kernels.empty()) throw Error("kernels", "no registry kernel selected");
  if (!o.slowdown_kernel.empty() &&
      std::find(kernels.begin(), kernels.end(), o.slowdown_kernel) ==
          kernels.end())
    throw Error("slowdown-kernel", o.slowdown_kernel + " is not counted");
  const auto shapes = ParseShapes(o.shapes);
  const auto token_list = ParseList(o.tokens, "tokens");

  const MachineInfo machine = GetMachineInfo();
  if (std::find(machine.targets.begin(), machine.targets.end(),
                kCountedTarget) == machine.targets.end()) {
    std::printf(
        "regress counts: skipped: the counts are kept for the %s target, "
        "which this CPU does not run\n",
        kCountedTarget);
    return 0;
  }
  const std::string key = EntryKey(machine);
  const CountThresholds thresholds{o.instr_threshold, o.miss_threshold};

  // The baseline entry first: a different compiler is reported and skipped
  // before minutes are spent under valgrind.
  nlohmann::json doc = nlohmann::json::object();
  if (std::filesystem::exists(o.baseline) || !o.update)
    doc = ReadJsonFile(o.baseline, "baseline");
  if (doc.contains("ratios") || doc.contains("results"))
    throw Error("baseline",
                o.baseline +
                    " is a timing-mode baseline; counts live in "
                    "their own file (results/counts-baseline.json)");
  if (!o.update) {
    if (!doc.contains("entries") || !doc["entries"].is_object())
      throw Error("baseline", o.baseline + " has no \"entries\" object");
    if (!doc["entries"].contains(key)) {
      std::string have;
      for (const auto& [k, v] : doc["entries"].items()) have += "\n  " + k;
      std::printf(
          "regress counts: %s has no entry for \"%s\"; counts are "
          "compared only with the same compiler, build type and target. "
          "Skipped (exit 0). Entries:%s\n"
          "Add one with: rsr-bench regress --mode counts --update "
          "--baseline %s\n",
          o.baseline.c_str(), key.c_str(),
          have.empty() ? " none" : have.c_str(), o.baseline.c_str());
      return 0;
    }
    const auto& entry = doc["entries"][key];
    if (entry.value("cache", nlohmann::json()) != CacheJson())
      throw Error("baseline", "the entry for \"" + key + "\" in " + o.baseline +
                                  " simulated other caches than this build (" +
                                  CacheJson().dump() +
                                  "); rewrite it with --update");
    if (entry.value("valgrind", std::string()) != valgrind_version)
      std::printf("regress counts: warning: baseline counted with %s, now %s\n",
                  entry.value("valgrind", std::string("?")).c_str(),
                  valgrind_version.c_str());
  }

  std::printf(
      "regress counts: %s; target %s (forced: valgrind runs no AVX-512); "
      "%s callgrind, caches I1 %s D1 %s LL %s; %zu kernels x %zu cases; "
      "calls %zu (scalar kernels %zu)%s\n",
      key.c_str(), kCountedTarget, valgrind_version.c_str(),
      kCaches[0].second.c_str(), kCaches[1].second.c_str(),
      kCaches[2].second.c_str(), kernels.size(),
      shapes.size() * token_list.size(), o.calls, o.scalar_calls,
      o.slowdown > 0 ? (", TEST SLOWDOWN x" + std::to_string(1 + o.slowdown) +
                        " on " + o.slowdown_kernel)
                           .c_str()
                     : "");
  std::fflush(stdout);

  // One valgrind child per kernel, up to --jobs at once.
  namespace fs = std::filesystem;
  // The child's argv sits on its stack too: it gets paths of one length
  // wherever the checkout is (/tmp/rsr-counts-XXXXXX/rsr-bench, a link to
  // this binary, and a placeholder baseline), so the counts do not depend
  // on the checkout's path.
  std::string tmpl = "/tmp/rsr-counts-XXXXXX";
  if (!mkdtemp(tmpl.data()))
    throw Error("counts", "cannot create a temporary directory");
  const fs::path tmp(tmpl);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmp};
  const std::string self = (tmp / "rsr-bench").string();
  fs::create_symlink(fs::read_symlink("/proc/self/exe"), self);
  // Address-space randomization moves where valgrind maps the client's
  // memory, and with it a few simulated misses: D1 misses of rsrpp-simd at
  // 2048x2048, N = 8 took two values 0.23% apart over 11 runs; without it
  // every run gave the same counts. The flag is inherited by the children
  // only; a container that forbids it leaves that small spread.
  const int persona = personality(0xffffffff);
  if (persona == -1 || personality(persona | ADDR_NO_RANDOMIZE) == -1)
    std::fprintf(stderr,
                 "regress counts: note: cannot disable address-space "
                 "randomization for the children (misses may move by "
                 "~0.3%%)\n");
  const std::vector<std::string> env = ChildEnvironment();
  const auto start = std::chrono::steady_clock::now();
  std::vector<Child> pending, running, failed;
  std::map<std::string, CountCase> now;
  for (const auto& k : kernels)
    pending.push_back(
        {k, (tmp / (k + ".log")).string(), (tmp / (k + ".cg")).string(), -1});
  std::reverse(pending.begin(), pending.end());
  size_t done = 0;
  while (!pending.empty() || !running.empty()) {
    while (!pending.empty() && running.size() < o.jobs) {
      Child c = pending.back();
      pending.pop_back();
      const bool simd = CreateKernel(c.kernel)->Caps().simd;
      std::vector<std::string> argv = {o.valgrind,
                                       "--tool=callgrind",
                                       "--instr-atstart=no",
                                       "--cache-sim=yes",
                                       "--dump-line=no",
                                       "--dump-instr=no",
                                       "--callgrind-out-file=" + c.out};
      for (const auto& [name, spec] : kCaches)
        argv.push_back("--" + name + "=" + spec);
      argv.insert(
          argv.end(),
          {self, "regress", "--mode", "counts", "--counted-child", "--baseline",
           "-", "--kernels", c.kernel, "--shapes", o.shapes, "--tokens",
           o.tokens, "--seed", std::to_string(o.seed), "--calls",
           std::to_string(simd ? o.calls : o.scalar_calls), "--stack-offset",
           std::to_string(o.stack_offset)});
      if (c.kernel == o.slowdown_kernel && o.slowdown > 0) {
        argv.insert(argv.end(), {"--slowdown-kernel", c.kernel, "--slowdown",
                                 std::to_string(o.slowdown)});
      }
      c.pid = Spawn(argv, env, c.log);
      running.push_back(c);
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) throw Error("counts", "waitpid failed");
    const auto it = std::find_if(running.begin(), running.end(),
                                 [&](const Child& c) { return c.pid == pid; });
    if (it == running.end()) continue;
    const Child c = *it;
    running.erase(it);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    Progress(++done, kernels.size(), c.kernel);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "regress counts: %s under valgrind failed:\n%s\n",
                   c.kernel.c_str(), Tail(ReadText(c.log), 15).c_str());
      failed.push_back(c);
      continue;
    }
    CollectDumps(c, now);
    std::fprintf(stderr, "regress counts: %-12s done at +%.0f s\n",
                 c.kernel.c_str(), secs);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!failed.empty())
    throw Error("counts", std::to_string(failed.size()) +
                              " kernel(s) failed under valgrind (log above)");
  for (const auto& k : kernels)
    for (const auto& s : shapes)
      for (size_t n : token_list)
        if (!now.count(CountCaseKey(k, s.m, s.k, n)))
          throw Error("counts", "no counts for " +
                                    CountCaseKey(k, s.m, s.k, n) +
                                    " (callgrind wrote no dump)");

  if (o.update) {
    if (!doc.is_object()) doc = nlohmann::json::object();
    doc["about"] =
        "rsr-bench regress --mode counts: instructions and simulated D1/LL "
        "data misses per call under valgrind's callgrind, one entry per "
        "compiler | build type | Highway target (README, Regression check). "
        "Written by --update, never by hand.";
    nlohmann::json& entry = doc["entries"][key];
    // Cases measured now replace theirs; others stay unless the simulated
    // caches changed, which invalidates every miss count.
    if (!entry.is_object() ||
        entry.value("cache", nlohmann::json()) != CacheJson())
      entry = nlohmann::json::object();
    entry["compiler"] = machine.compiler;
    entry["build_type"] = machine.build_type;
    entry["target"] = kCountedTarget;
    entry["valgrind"] = valgrind_version;
    entry["cache"] = CacheJson();
    entry["git_revision"] = machine.git_revision;
    entry["date"] = machine.date;
    entry["machine_id"] = machine.id;
    for (const auto& [k, c] : now) entry["cases"][k] = CaseJson(c);
    const auto parent = fs::path(o.baseline).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    WriteText(o.baseline, doc.dump(2) + "\n");
    std::printf("%-28s %14s %11s %11s\n", "case (per call)", "instructions",
                "D1 misses", "LL misses");
    for (const auto& [k, c] : now)
      std::printf("%-28s %14s %11s %11s\n", k.c_str(),
                  Num(c.per_call.instructions).c_str(),
                  Num(c.per_call.d1_misses).c_str(),
                  Num(c.per_call.ll_misses).c_str());
    std::printf(
        "regress counts: wrote %zu cases to %s (entry \"%s\") in %.0f s\n",
        now.size(), o.baseline.c_str(), key.c_str(), elapsed);
    return 0;
  }

  const auto base = CasesFromJson(
      doc["entries"][key].value("cases", nlohmann::json::object()));
  const auto rows = CompareCounts(base, now, thresholds);
  std::printf("%-28s %14s %8s %11s %8s %11s %8s  %s\n", "case (per call)",
              "instructions", "change", "D1 misses", "change", "LL misses",
              "change", "status");
  size_t compared = 0, worse = 0;
  std::vector<const CountComparison*> regressions;
  for (const auto& r : rows) {
    if (!r.now) continue;  // baseline cases not selected now: not shown
    if (!r.base) {
      std::printf(
          "%-28s %14s %8s %11s %8s %11s %8s  %s\n", r.key.c_str(),
          Num(r.now->instructions).c_str(), "-", Num(r.now->d1_misses).c_str(),
          "-", Num(r.now->ll_misses).c_str(), "-", CountStatusName(r.status));
      continue;
    }
    ++compared;
    if (r.status == CountStatus::kRegressed) {
      ++worse;
      regressions.push_back(&r);
    }
    std::printf("%-28s %14s %+7.2f%% %11s %+7.1f%% %11s %+7.1f%%  %s\n",
                r.key.c_str(), Num(r.now->instructions).c_str(),
                100 * r.instructions, Num(r.now->d1_misses).c_str(),
                100 * r.d1_misses, Num(r.now->ll_misses).c_str(),
                100 * r.ll_misses, CountStatusName(r.status));
  }
  for (const auto* r : regressions)
    std::printf(
        "REGRESSION %s: %s (instructions %s -> %s, D1 misses %s -> %s, LL "
        "misses %s -> %s per call)\n",
        r->key.c_str(), r->what.c_str(), Num(r->base->instructions).c_str(),
        Num(r->now->instructions).c_str(), Num(r->base->d1_misses).c_str(),
        Num(r->now->d1_misses).c_str(), Num(r->base->ll_misses).c_str(),
        Num(r->now->ll_misses).c_str());
  // The largest moves either way: on an unchanged build they are the
  // run-to-run spread.
  double max_instr = 0, max_d1 = 0, max_ll = 0;
  for (const auto& r : rows) {
    if (!r.base || !r.now) continue;
    max_instr = std::max(max_instr, std::abs(r.instructions));
    max_d1 = std::max(max_d1, std::abs(r.d1_misses));
    max_ll = std::max(max_ll, std::abs(r.ll_misses));
  }
  std::printf(
      "regress counts: %zu cases compared, %zu grew beyond +%.0f%% "
      "instructions / +%.0f%% misses (largest change either way: "
      "instructions %.3f%%, D1 misses %.3f%%, LL misses %.3f%%), in %.0f "
      "s%s\n",
      compared, worse, 100 * o.instr_threshold, 100 * o.miss_threshold,
      100 * max_instr, 100 * max_d1, 100 * max_ll, elapsed,
      o.report_only ? " (report only)" : "");
  if (o.report_only) return 0;
  if (compared == 0) {
    std::fprintf(
        stderr,
        "rsr-bench regress --mode counts: no case in common with the "
        "\"%s\" entry of %s (different --kernels/--shapes/--tokens?)\n",
        key.c_str(), o.baseline.c_str());
    return 2;
  }
  return worse > 0 ? 1 : 0;
}

int RunCountedChild(const RegressOptions& o) {
#if RSR_HAVE_CALLGRIND
  if (!RUNNING_ON_VALGRIND)
    throw Error("counted-child",
                "internal flag of --mode counts; runs only under valgrind");
  SetTarget(kCountedTarget);
  const auto kernels = SplitComma(o.kernels);
  const auto shapes = ParseShapes(o.shapes);
  const auto token_list = ParseList(o.tokens, "tokens");
  const size_t max_tokens =
      *std::max_element(token_list.begin(), token_list.end());
  for (const auto& s : shapes) {
    const TernaryMatrix w = RandomTernary(s.m, s.k, o.seed);
    const std::vector<float> x =
        RandomActivations(s.k * max_tokens, o.seed + 1);
    std::vector<float> y(s.m * max_tokens);
    for (const auto& name : kernels) {
      auto kernel = CreateRegressKernel(name, o);
      kernel->Prepare(w);
      for (size_t n : token_list) {
        const std::span<const float> xs(x.data(), n * s.k);
        const std::span<float> ys(y.data(), n * s.m);
        // Built before counting starts, so that it costs nothing counted.
        std::string label = kLabelPrefix + name + ":" + std::to_string(s.m) +
                            ":" + std::to_string(s.k) + ":" +
                            std::to_string(n) + ":" + std::to_string(o.calls) +
                            ":" + std::to_string(kernel->PreparedBytes());
        CountCalls(*kernel, xs, n, ys, o.calls, label, o.stack_offset);
      }
    }
  }
  return 0;
#else
  (void)o;
  throw Error("counted-child", "built without <valgrind/callgrind.h>");
#endif
}

}  // namespace rsr::harness
