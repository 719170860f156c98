// One prepared kernel shared by many threads (kernel.h, "Threads"): 8
// std::threads call Gemv and Gemm on the same kernel at once, each with its
// own inputs, and every output equals the single-threaded result (==, int8
// and float paths alike: a kernel's float path is deterministic for a fixed
// OpenMP thread count), at 1 and 2 OpenMP threads per call.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "rsr/rsr.h"
#include "tests/kernel_tester.h"

namespace rsr {
namespace {

bool Quick() {
  const char* s = std::getenv("RSR_TEST_SCALE");
  return s != nullptr && std::string(s) == "quick";
}

class Concurrency : public ::testing::TestWithParam<std::string> {};

TEST_P(Concurrency, SharedKernelMatchesSingleThreaded) {
  constexpr size_t kCallers = 8, kM = 96, kK = 777, kTokens = 3;
  const size_t calls = Quick() ? 12 : 200;
  const TernaryMatrix w = RandomTernary(kM, kK, 11);
  for (const ActivationType act : testing::SupportedActivations(GetParam())) {
    for (const int omp_threads : {1, 2}) {
      auto kernel = CreateKernel(GetParam(),
                                 {.threads = omp_threads, .activations = act});
      kernel->Prepare(w);
      // Per caller: its own single-token and multi-token inputs and the
      // answers computed before any concurrency.
      std::vector<std::vector<float>> x1(kCallers), xn(kCallers);
      std::vector<std::vector<float>> want1(kCallers), wantn(kCallers);
      for (size_t c = 0; c < kCallers; ++c) {
        x1[c] = RandomActivations(kK, 100 + c);
        xn[c] = RandomActivations(kTokens * kK, 200 + c);
        want1[c].resize(kM);
        wantn[c].resize(kTokens * kM);
        kernel->Gemv(x1[c], want1[c]);
        kernel->Gemm(xn[c], kTokens, wantn[c]);
      }
      std::atomic<size_t> wrong{0}, errors{0};
      std::vector<std::thread> callers;
      for (size_t c = 0; c < kCallers; ++c) {
        callers.emplace_back([&, c] {
          std::vector<float> y1(kM), yn(kTokens * kM);
          for (size_t i = 0; i < calls; ++i) {
            try {
              if ((i + c) % 2 == 0) {
                kernel->Gemv(x1[c], y1);
                wrong += y1 != want1[c];
              } else {
                kernel->Gemm(xn[c], kTokens, yn);
                wrong += yn != wantn[c];
              }
            } catch (...) {
              ++errors;
            }
          }
        });
      }
      for (auto& t : callers) t.join();
      EXPECT_EQ(wrong.load(), 0u) << ActivationTypeName(act) << ", "
                                  << omp_threads << " OpenMP threads";
      EXPECT_EQ(errors.load(), 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, Concurrency,
                         ::testing::ValuesIn(KernelNames()),
                         [](const auto& info) {
                           return testing::TestName(info.param);
                         });

}  // namespace
}  // namespace rsr
