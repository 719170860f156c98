#include "harness/paper/protocol.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

#include "harness/measure.h"
#include "harness/paper/paper_faithful.h"
#include "harness/paper/paper_matrix.h"
#include "harness/paper/paper_naive.h"
#include "harness/paper/paper_rsr.h"
#include "rsr/error.h"

extern char** environ;

namespace rsr::paper {
namespace {

using nlohmann::json;

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

}  // namespace

const std::vector<PaperFigures>& AllPaperFigures() {
  static const std::vector<PaperFigures> figures = {
      {2048, 4, 56, 8, 6},           {4096, 4, 244, 30, 24},
      {8192, 5, 1402, 104, 96},      {16384, 6, 6668, 391, 323},
      {32768, 6, 32038, 1409, 1278}, {65536, 6, 149868, 5339, 5071},
  };
  return figures;
}

PaperFigures PaperFiguresFor(size_t n) {
  for (const auto& f : AllPaperFigures())
    if (f.n == n) return f;
  return {};
}

int PaperK(size_t n) {
  const double l = std::log2(static_cast<double>(std::max<size_t>(n, 1)));
  int k = AllPaperFigures().front().k;
  double best = 1e9;
  for (const auto& f : AllPaperFigures()) {
    const double d = std::fabs(std::log2(static_cast<double>(f.n)) - l);
    if (d < best) best = d, k = f.k;
  }
  return k;
}

void CheckPaperSize(size_t n) {
  if (n < kPaperMinN || n > kPaperMaxN)
    throw Error("sizes", "n = " + std::to_string(n) + " is outside " +
                             std::to_string(kPaperMinN) + ".." +
                             std::to_string(kPaperMaxN) +
                             " (n = 2^16 would need 16 GiB for the naive "
                             "loop's vector<vector<int>>)");
}

void CheckProcessSpec(const ProcessSpec& s) {
  if (std::find(kPaperMethods.begin(), kPaperMethods.end(), s.method) ==
      kPaperMethods.end())
    throw Error("method", "unknown method '" + s.method +
                              "' (naive, rsr, rsrpp, rsr-lean, rsrpp-lean)");
  CheckPaperSize(s.n);
  if (s.k < 0 || s.k > kFaithfulMaxK)
    throw Error("k", "must be in 0.." + std::to_string(kFaithfulMaxK) +
                         " (0 = the paper's k), got " + std::to_string(s.k));
  if (s.runs < 1 || s.runs > 1000)
    throw Error("runs", "must be in 1..1000, got " + std::to_string(s.runs));
}

json RunPaperProcess(const ProcessSpec& spec) {
  CheckProcessSpec(spec);
  const size_t n = spec.n;
  const int k = spec.k ? spec.k : PaperK(n);
  const std::string tag =
      "[paper] n=" + std::to_string(n) + " " + spec.method + ": ";
  std::fprintf(stderr, "%sgenerating A (vector<vector<int>>, seed %llu)\n",
               tag.c_str(), static_cast<unsigned long long>(spec.seed));
  const PaperMatrix a = RandomPaperMatrix(n, spec.seed);
  const std::vector<int> v = RandomIntVector(n, spec.seed + 1);
  const std::vector<int> want = ReferenceProduct(v, a);

  // The method's call; indexes are built here, outside the timed region.
  std::vector<int> out;
  std::function<void()> call;
  FaithfulIndex faithful;
  PaperRsrIndex lean;
  const bool is_faithful = spec.method == "rsr" || spec.method == "rsrpp";
  const bool is_lean = spec.method == "rsr-lean" || spec.method == "rsrpp-lean";
  double preprocess_ms = 0;
  if (is_faithful || is_lean) {
    std::fprintf(stderr, "%sbuilding the index (k=%d)\n", tag.c_str(), k);
    const auto t0 = std::chrono::steady_clock::now();
    if (is_faithful)
      faithful = FaithfulPreprocess(a, k);
    else
      lean = PaperRsrPreprocess(a, k);
    preprocess_ms = MsSince(t0);
  }
  if (spec.method == "naive") {
    call = [&] { out = PaperNaiveMultiply(v, a); };
  } else if (spec.method == "rsr") {
    CheckFaithfulVector(v, faithful);
    // v and B_k are copied into the by-value parameters inside the timed
    // call, as the authors' call does.
    call = [&] {
      out = FaithfulRsrMultiply(v, faithful.permutations, faithful.segments,
                                faithful.bin_k, k);
    };
  } else if (spec.method == "rsrpp") {
    CheckFaithfulVector(v, faithful);
    call = [&] {
      out = FaithfulRsrPlusPlusMultiply(v, faithful.permutations,
                                        faithful.segments, k);
    };
  } else if (spec.method == "rsr-lean") {
    call = [&] { out = PaperRsrMultiply(v, lean); };
  } else {
    call = [&] { out = PaperRsrPlusPlusMultiply(v, lean); };
  }

  // No warm-up: the authors' first run is one of their ten.
  std::fprintf(stderr, "%s%zu runs\n", tag.c_str(), spec.runs);
  const auto samples = harness::TimeCalls(
      call, {.warm_up = 0, .min_reps = spec.runs, .max_reps = spec.runs},
      [&](size_t done, double seconds) {
        if (seconds >= 1.0)
          std::fprintf(stderr, "%srun %zu/%zu: %.0f ms\n", tag.c_str(), done,
                       spec.runs, seconds * 1e3);
      });

  // The faithful products return blocks * k entries (zero-padded columns).
  if (out.size() > n) out.resize(n);
  const bool exact = out == want;
  json runs_ms = json::array(), runs_whole_ms = json::array();
  double sum_ms = 0;
  long long sum_whole_ms = 0;
  for (double s : samples) {
    const double ms = s * 1e3;
    // duration_cast<milliseconds> truncates toward zero, as the authors' do.
    const long long whole = static_cast<long long>(std::trunc(ms));
    runs_ms.push_back(ms);
    runs_whole_ms.push_back(whole);
    sum_ms += ms;
    sum_whole_ms += whole;
  }
  const long long runs = static_cast<long long>(samples.size());
  return {{"method", spec.method},
          {"n", n},
          {"k", spec.method == "naive" ? 0 : k},
          {"seed", spec.seed},
          {"runs", runs},
          {"runs_ms", runs_ms},
          {"runs_whole_ms", runs_whole_ms},
          {"mean_ms", sum_ms / static_cast<double>(runs)},
          {"int_mean_ms", sum_whole_ms / runs},
          {"preprocess_ms", preprocess_ms},
          {"exact", exact}};
}

json SpawnPaperProcess(const std::string& exe, const ProcessSpec& spec) {
  CheckProcessSpec(spec);
  std::vector<std::string> args = {exe,        "paper-process",
                                   "--method", spec.method,
                                   "--n",      std::to_string(spec.n),
                                   "--k",      std::to_string(spec.k),
                                   "--runs",   std::to_string(spec.runs),
                                   "--seed",   std::to_string(spec.seed)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw Error("paper-process", std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The child's stdout is the pipe; stderr (progress) stays the parent's.
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw Error("paper-process",
                "cannot start '" + exe + "': " + std::strerror(rc));
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t got = read(fds[0], buf, sizeof(buf));
    if (got > 0) {
      text.append(buf, static_cast<size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string what = exe + " paper-process --method " + spec.method +
                           " --n " + std::to_string(spec.n);
  if (!WIFEXITED(status))
    throw Error("paper-process", what + " was killed by signal " +
                                     std::to_string(WTERMSIG(status)));
  const int code = WEXITSTATUS(status);
  if (code != 0 && code != 1)
    throw Error("paper-process",
                what + " exited with code " + std::to_string(code));
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("mean_ms"))
    throw Error("paper-process", what + " printed no result");
  return doc;
}

}  // namespace rsr::paper
