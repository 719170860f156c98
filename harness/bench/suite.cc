// rsr-benchmarks: the Google Benchmark suite. Every registry kernel x shapes
// x tokens x threads, one benchmark each, named
//   Gemm/<kernel>/<M>x<K>/tokens:<N>/threads:<T>
// Counters: prepared_bytes, bits_per_weight, GB (a rate: 1e9 prepared bytes
// streamed per second of wall time, the roofline quantity; printed "GB=x/s"),
// bytes_per_second (the same in Google Benchmark's own unit),
// items_per_second (weights x tokens per second), tokens, omp_threads. The
// label names the SIMD target and the activation type. Times are wall-clock
// (UseRealTime), as CPU time of the main thread misleads with OpenMP.
//
// Our own flags (Google Benchmark's, e.g. --benchmark_filter,
// --benchmark_out=f.json, --benchmark_min_time=0.1, work as usual):
//   --rsr_kernels=all|a,b      registry names (missing names: skipped, noted)
//   --rsr_shapes=SPEC          default 1024x1024,...,8192x8192,bitnet-2b
//   --rsr_tokens=1,8,32  --rsr_threads=1,2  --rsr_target=best|avx2|...
//   --rsr_binary               binary {0,1} weights instead of ternary
// Benchmarks run in registration order (shape, kernel, threads, tokens), so
// one prepared kernel is cached and reused across its token counts.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/shapes.h"
#include "rsr/error.h"
#include "rsr/registry.h"
#include "rsr/targets.h"

namespace rsr::harness {
namespace {

struct SuiteFlags {
  std::string kernels = "all";
  std::string shapes = "1024x1024,2048x2048,4096x4096,8192x8192,bitnet-2b";
  std::string tokens = "1,8,32";
  std::string threads = "1,2";
  std::string target = "best";
  bool binary = false;
};

struct Case {
  std::string kernel;
  Shape shape;
  size_t tokens;
  int threads;
};

// The last matrix and the last prepared kernel (one at a time bounds memory:
// 8192^2 in dense-f32 is 256 MiB).
struct Cache {
  std::string matrix_key;
  TernaryMatrix w;
  std::string kernel_key;
  std::unique_ptr<Kernel> kernel;
  std::string error;
};

Cache& GetCache() {
  static Cache cache;
  return cache;
}

bool g_binary = false;

Kernel* Prepared(const Case& c, std::string* error) {
  Cache& cache = GetCache();
  const std::string mkey = c.shape.ToString() + (g_binary ? "b" : "t");
  if (cache.matrix_key != mkey) {
    cache.kernel.reset();
    cache.kernel_key.clear();
    cache.w = g_binary ? RandomBinary(c.shape.m, c.shape.k, 1)
                       : RandomTernary(c.shape.m, c.shape.k, 1);
    cache.matrix_key = mkey;
  }
  const std::string kkey = c.kernel + "/" + std::to_string(c.threads);
  if (cache.kernel_key != kkey) {
    cache.kernel.reset();
    cache.error.clear();
    cache.kernel_key = kkey;
    try {
      KernelOptions opt;
      opt.threads = c.threads;
      auto kernel = CreateKernel(c.kernel, opt);
      kernel->Prepare(cache.w);
      cache.kernel = std::move(kernel);
    } catch (const std::exception& e) {
      cache.error = e.what();
    }
  }
  *error = cache.error;
  return cache.kernel.get();
}

void BM_Gemm(benchmark::State& state, const Case& c) {
  std::string error;
  Kernel* kernel = Prepared(c, &error);
  if (!kernel) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::vector<float> x = RandomActivations(c.shape.k * c.tokens, 2);
  std::vector<float> y(c.shape.m * c.tokens);
  for (auto _ : state) {
    kernel->Gemm(x, c.tokens, y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(kernel->PreparedBytes());
  const auto iters = static_cast<int64_t>(state.iterations());
  state.SetBytesProcessed(iters * static_cast<int64_t>(bytes));
  state.SetItemsProcessed(
      iters * static_cast<int64_t>(c.shape.m * c.shape.k * c.tokens));
  state.counters["prepared_bytes"] = bytes;
  state.counters["bits_per_weight"] = kernel->BitsPerWeight();
  // Shown as "GB=x/s": Google Benchmark appends /s to rate counters.
  state.counters["GB"] = benchmark::Counter(
      bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens"] = static_cast<double>(c.tokens);
  state.counters["omp_threads"] = c.threads;
  state.SetLabel(
      (kernel->Caps().simd ? CurrentTargetName() : std::string("scalar-c++")) +
      " " + ActivationTypeName(kernel->activations()));
}

std::vector<std::string> KernelList(const std::string& spec) {
  const auto names = KernelNames();
  if (spec == "all") return names;
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (std::find(names.begin(), names.end(), item) == names.end()) {
      std::fprintf(
          stderr,
          "rsr-benchmarks: note: kernel '%s' is not in the registry: skipped\n",
          item.c_str());
      continue;
    }
    out.push_back(item);
  }
  return out;
}

// Removes our --rsr_* flags from argv (Google Benchmark rejects unknown ones).
SuiteFlags TakeOwnFlags(int* argc, char** argv) {
  SuiteFlags f;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name, std::string* out) {
      const std::string prefix = std::string("--") + name + "=";
      if (a.rfind(prefix, 0) != 0) return false;
      *out = a.substr(prefix.size());
      return true;
    };
    if (value("rsr_kernels", &f.kernels) || value("rsr_shapes", &f.shapes) ||
        value("rsr_tokens", &f.tokens) || value("rsr_threads", &f.threads) ||
        value("rsr_target", &f.target)) {
      continue;
    }
    if (a == "--rsr_binary") {
      f.binary = true;
      continue;
    }
    if (a.rfind("--rsr_", 0) == 0)
      throw Error(a.substr(2),
                  "unknown flag (known: --rsr_kernels= --rsr_shapes= "
                  "--rsr_tokens= --rsr_threads= --rsr_target= --rsr_binary)");
    argv[kept++] = argv[i];
  }
  *argc = kept;
  return f;
}

int Main(int argc, char** argv) {
  const SuiteFlags f = TakeOwnFlags(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  SetTarget(f.target);
  g_binary = f.binary;
  const auto kernels = KernelList(f.kernels);
  const auto shapes = ParseShapes(f.shapes);
  const auto tokens = ParseList(f.tokens, "rsr_tokens");
  const auto threads = ParseList(f.threads, "rsr_threads");
  for (const auto& s : shapes)
    for (const auto& k : kernels)
      for (size_t t : threads)
        for (size_t n : tokens) {
          const Case c{k, s, n, static_cast<int>(t)};
          const std::string name = "Gemm/" + k + "/" + s.ToString() +
                                   "/tokens:" + std::to_string(n) +
                                   "/threads:" + std::to_string(t);
          benchmark::RegisterBenchmark(name.c_str(), BM_Gemm, c)
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond);
        }
  benchmark::AddCustomContext("rsr_target", CurrentTargetName());
  benchmark::AddCustomContext("rsr_weights", f.binary ? "binary" : "ternary");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace rsr::harness

int main(int argc, char** argv) {
  try {
    return rsr::harness::Main(argc, argv);
  } catch (const rsr::Error& e) {
    std::fprintf(stderr, "rsr-benchmarks: error: %s\n", e.what());
    return 2;
  }
}
