// Memory, measured: Prepare's heap peak and each call's scratch stay within
// the bounds kernel.h documents (PrepareBytesBound, ScratchBytesBound), and an
// allocation failure in Prepare becomes rsr::Error naming the kernel and the
// bytes (under a lowered RLIMIT_AS in a child process, never by exhausting
// the machine).
#include "harness/memory.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harness/machine.h"
#include "rsr/rsr.h"
#include "tests/kernel_tester.h"

namespace rsr {
namespace {

using harness::AllocationPeak;

class Memory : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!AllocationPeak::Available())
      GTEST_SKIP() << "heap accounting is off in sanitizer builds";
  }
};

// Heap peak of Prepare within PrepareBytesBound (which must also be a
// useful estimate: within 1.5x of the ternary peak plus 256 KiB), binary and
// ternary,
// narrow and wide (uint32) RSR indexes, 1 and 2 threads.
TEST_P(Memory, PreparePeakWithinBound) {
  struct Case {
    size_t m, k;
  };
  for (const Case c : {Case{1, 1}, Case{33, 127}, Case{300, 1000},
                       Case{700, 2560}, Case{8, 70000}}) {
    for (const bool binary : {false, true}) {
      const TernaryMatrix w =
          binary ? RandomBinary(c.m, c.k, 3) : RandomTernary(c.m, c.k, 3);
      for (const int threads : {1, 2}) {
        auto kernel = CreateKernel(GetParam(), {.threads = threads});
        const size_t bound = kernel->PrepareBytesBound(c.m, c.k);
        AllocationPeak peak;
        kernel->Prepare(w);
        const size_t used = peak.Bytes();
        SCOPED_TRACE(std::to_string(c.m) + "x" + std::to_string(c.k) +
                     (binary ? " binary" : " ternary") + " threads " +
                     std::to_string(threads));
        EXPECT_LE(used, bound);
        EXPECT_LE(kernel->PreparedBytes(), bound);
        if (!binary) {  // the bound is the ternary (larger) case
          EXPECT_LE(bound, used + used / 2 + (256u << 10));
        }
      }
    }
  }
}

// Every call's heap peak within ScratchBytesBound, Gemv and Gemm, each
// activation type the kernel offers.
TEST_P(Memory, CallScratchWithinBound) {
  for (const ActivationType act : testing::SupportedActivations(GetParam())) {
    for (const int threads : {1, 2}) {
      auto kernel =
          CreateKernel(GetParam(), {.threads = threads, .activations = act});
      for (const auto& [m, k] : {std::pair<size_t, size_t>{300, 1000},
                                 std::pair<size_t, size_t>{64, 3000}}) {
        kernel->Prepare(RandomTernary(m, k, 5));
        for (const size_t n : {size_t{1}, size_t{8}, size_t{40}}) {
          const std::vector<float> x = RandomActivations(n * k, 6);
          std::vector<float> y(n * m);
          kernel->Gemm(x, n, y);  // warm-up: the OpenMP pool's own heap
          AllocationPeak peak;
          kernel->Gemm(x, n, y);
          EXPECT_LE(peak.Bytes(), kernel->ScratchBytesBound(m, k, n))
              << ActivationTypeName(act) << " threads " << threads << " " << m
              << "x" << k << " N=" << n;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, Memory, ::testing::ValuesIn(KernelNames()),
                         [](const auto& info) {
                           return testing::TestName(info.param);
                         });

size_t VmSizeBytes() {
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    size_t kib = 0;
    if (key == "VmSize:" && f >> kib) return kib << 10;
    f.ignore(1 << 10, '\n');
  }
  return 0;
}

// A kernel whose prepared form does not fit gets rsr::Error("w") naming the
// kernel and the bytes, in a child process whose address space is capped 8
// MiB above what it already maps (the 64 MiB matrix is made before the cap).
TEST(MemoryLimits, PrepareOutOfMemoryIsAnError) {
  if (!AllocationPeak::Available())
    GTEST_SKIP() << "sanitizers reserve address space; RLIMIT_AS unusable";
  if (harness::LikelyEmulated())
    GTEST_SKIP() << "qemu-user maps the guest address space itself";
  const TernaryMatrix w = RandomTernary(8192, 8192, 9);
  for (const std::string name : {"dense-f32", "i2s", "tq5", "rsrpp-simd"}) {
    auto kernel = CreateKernel(name);
    const pid_t pid = fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
      const size_t cap = VmSizeBytes() + (8u << 20);
      const rlimit lim{cap, cap};
      if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(3);
      // Use up what the allocator can still hand out (the heap keeps the
      // memory earlier tests freed in this process, mapped and reusable
      // whatever the limit: Prepare then succeeded after other tests), and
      // give back a 4 MiB reserve for Prepare's small allocations. Its
      // weight buffer (13 MiB and up here) must then map new memory.
      static void* hog[1 << 16];
      size_t n = 0;
      while (n < std::size(hog) && (hog[n] = std::malloc(1u << 20)) != nullptr)
        ++n;
      for (size_t i = 0; i < 4 && n > 0; ++i) std::free(hog[--n]);
      int code = 2;  // no error at all
      try {
        kernel->Prepare(w);
      } catch (const Error& e) {
        const std::string what = e.what();
        const bool ok =
            e.argument() == "w" && what.find(name) != std::string::npos &&
            what.find("out of memory") != std::string::npos &&
            what.find("bytes") != std::string::npos && !kernel->prepared();
        code = ok ? 0 : 4;
      } catch (...) {
        code = 5;  // std::bad_alloc or anything else escaped
      }
      _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << name << ": child crashed";
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << name
        << ": 2 = prepared anyway, 3 = setrlimit failed, 4 = wrong "
           "error, 5 = another exception escaped";
  }
}

}  // namespace
}  // namespace rsr
