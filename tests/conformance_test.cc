// Cross-kernel conformance: every registry kernel x every compiled-and-
// supported SIMD target (forced) x shape families (exhaustive tiny grid, tails
// around block sizes, odd K, a large shape) x threads x tokens, int8 paths
// compared with ==, float paths within the derived tolerance (== on a grid).
//
// RSR_TEST_SCALE=quick (set by the qemu-user runs of the aarch64 cross build,
// tests/CMakeLists.txt) shrinks the shape families: emulation is ~100x slower.
// Every kernel x every supported target still runs; only sizes shrink.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rsr/rsr.h"
#include "tests/kernel_tester.h"

namespace rsr::testing {
namespace {

bool Quick() {
  static const bool quick = [] {
    const char* s = std::getenv("RSR_TEST_SCALE");
    return s != nullptr && std::string(s) == "quick";
  }();
  return quick;
}

std::string TargetNames(const std::vector<TargetInfo>& targets) {
  std::string out;
  for (const auto& t : targets) out += (out.empty() ? "" : " ") + t.name;
  return out;
}

// Prints once, before any test, which targets exist and which one dispatch
// picks on this CPU (under qemu: the emulated CPU's best).
class TargetsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    SetTargetBits(0);
    std::printf("[ rsr      ] compiled targets: %s\n"
                "[ rsr      ] supported here:   %s\n"
                "[ rsr      ] best (dispatch):  %s\n"
                "[ rsr      ] test scale:       %s\n",
                TargetNames(CompiledTargets()).c_str(),
                TargetNames(SupportedTargets()).c_str(),
                CurrentTargetName().c_str(), Quick() ? "quick" : "full");
    std::fflush(stdout);
  }
};
[[maybe_unused]] ::testing::Environment* const kTargetsEnvironment =
    ::testing::AddGlobalTestEnvironment(new TargetsEnvironment);

// The qemu runs set RSR_EXPECT_TARGET per emulated CPU (cortex-a72 -> NEON,
// a64fx -> SVE, max -> SVE2): dispatch must pick it.
TEST(TargetSelection, BestMatchesExpected) {
  const char* want = std::getenv("RSR_EXPECT_TARGET");
  if (want == nullptr || *want == 0) GTEST_SKIP() << "RSR_EXPECT_TARGET not set";
  SetTargetBits(0);
  EXPECT_EQ(CurrentTargetName(), want);
}

struct Param {
  std::string kernel;
  TargetInfo target;
};

// Readable ctest/gtest names instead of a byte dump.
void PrintTo(const Param& p, std::ostream* os) {
  *os << p.kernel << "@" << p.target.name;
}

std::vector<Param> AllParams() {
  std::vector<Param> out;
  for (const auto& info : Registry()) {
    const bool simd = info.factory(KernelOptions{})->Caps().simd;
    for (const auto& t : SupportedTargets()) {
      out.push_back({info.name, t});
      if (!simd) break;  // scalar kernels: one target is enough
    }
  }
  return out;
}

std::string ParamName(const ::testing::TestParamInfo<Param>& p) {
  return TestName(p.param.kernel + "_" + p.param.target.name);
}

class Conformance : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override { SetTargetBits(GetParam().target.bits); }
  void TearDown() override { SetTargetBits(0); }
  KernelTester Tester() const {
    KernelTester t;
    t.Kernel(GetParam().kernel);
    return t;
  }
  KernelCaps Caps() const { return CreateKernel(GetParam().kernel)->Caps(); }
  std::vector<ActivationType> Acts() const {
    return SupportedActivations(GetParam().kernel);
  }
};

TEST_P(Conformance, RunsOnForcedTarget) {
  EXPECT_EQ(CurrentTargetName(), GetParam().target.name);
}

// Every M, K in 1..17 (quick: 1..9): catches tail and padding bugs
// exhaustively.
TEST_P(Conformance, TinyGrid) {
  const size_t n = Quick() ? 9 : 17;
  for (ActivationType act : Acts())
    for (size_t m = 1; m <= n; ++m)
      for (size_t k = 1; k <= n; ++k)
        Tester().Act(act).Shape(m, k).Tokens(1 + (m + k) % 3).Seed(m * 31 + k).Test();
}

// Tails around every block size the kernels use (8..640 columns, row tiles;
// tq5's blocks are 320 columns).
TEST_P(Conformance, BlockTails) {
  const size_t ks[] = {31,  32,  33,  63,  64,  65,  95,  96,  97,  127,
                       128, 129, 191, 192, 193, 255, 256, 257, 319, 320,
                       321, 383, 384, 385, 511, 512, 513, 639, 640, 641};
  const std::vector<size_t> ms =
      Quick() ? std::vector<size_t>{1, 17, 33}
              : std::vector<size_t>{1, 15, 16, 17, 31, 32, 33, 63, 64, 65};
  for (ActivationType act : Acts())
    for (size_t k : ks)
      for (size_t m : ms) Tester().Act(act).Shape(m, k).Seed(k * 7 + m).Test();
}

TEST_P(Conformance, OddK) {
  for (ActivationType act : Acts())
    for (size_t k : {65, 999, 8640})
      Tester().Act(act).Shape(Quick() ? 5 : 37, k).Tokens(3).Threads(2).Seed(k).Test();
}

// Results must not depend on the thread count or the token count.
TEST_P(Conformance, ThreadsAndTokens) {
  const size_t scale = Quick() ? 4 : 1;  // quick: M / 4
  for (ActivationType act : Acts())
    for (int threads : {1, 2, 3, 7})
      for (size_t tokens : {1, 3, 8}) {
        Tester().Act(act).Shape(67 / scale, 1000).Threads(threads).Tokens(tokens).Test();
        Tester().Act(act).Shape(300 / scale, 257).Threads(threads).Tokens(tokens)
            .Seed(5).Test();
      }
}

// Prefill token counts: multi-token tiles (TL1/TL2 token tables of 32 tokens,
// RSR++ token tiles) with their tails, N around 32 and a remainder.
TEST_P(Conformance, ManyTokens) {
  const std::vector<size_t> ns =
      Quick() ? std::vector<size_t>{33} : std::vector<size_t>{17, 31, 32, 33, 77};
  for (ActivationType act : Acts())
    for (size_t tokens : ns)
      for (auto [m, k] : {std::pair<size_t, size_t>{65, 97}, {130, 1001}})
        Tester().Act(act).Shape(m, k).Tokens(tokens).Threads(2).Seed(tokens + k).Test();
}

// Worst-case accumulators: all weights +-1 and every activation at +-127,
// at the largest K the kernel accepts (capped at 65536; quick: 4096).
TEST_P(Conformance, WorstCaseAccumulators) {
  const size_t k = std::min<size_t>(Quick() ? 4096 : 65536, Caps().max_cols);
  for (ActivationType act : Acts())
    for (Weights w : {Weights::kAllPlus, Weights::kAllMinus})
      for (Inputs in : {Inputs::kAllMax, Inputs::kAllMin})
        Tester().Act(act).Shape(5, k).Tokens(2).Threads(2).WeightKind(w).InputKind(in).Test();
}

// The same through the multi-token paths (TL1/TL2 token tables widen their
// int16 sums every 63 / 85 groups; RSR++ token tiles).
TEST_P(Conformance, WorstCaseAccumulatorsManyTokens) {
  const size_t k = std::min<size_t>(Quick() ? 4096 : 65536, Caps().max_cols);
  for (ActivationType act : Acts())
    for (Weights w : {Weights::kAllPlus, Weights::kAllMinus})
      for (Inputs in : {Inputs::kAllMax, Inputs::kAllMin})
        Tester().Act(act).Shape(5, k).Tokens(33).Threads(2).WeightKind(w).InputKind(in).Test();
}

// Around the uint16 index limit (RSR permutations and offsets widen to uint32
// beyond K = 65535) and every kernel's block padding there.
TEST_P(Conformance, IndexWidthEdges) {
  for (ActivationType act : Acts())
    for (size_t k : {65535, 65536, 65537})
      if (k <= Caps().max_cols)
        Tester().Act(act).Shape(3, k).Tokens(2).Threads(2).Seed(k).Test();
}

TEST_P(Conformance, WeightFamilies) {
  for (ActivationType act : Acts())
    for (Weights w : {Weights::kBinary, Weights::kAllZero, Weights::kSparse})
      for (size_t k : {1, 100, 777})
        Tester().Act(act).Shape(45, k).Tokens(2).WeightKind(w).Seed(k + 3).Test();
}

TEST_P(Conformance, InputFamilies) {
  for (ActivationType act : Acts())
    for (Inputs in : {Inputs::kZero, Inputs::kOutlier, Inputs::kAllMax})
      Tester().Act(act).Shape(40, 300).Tokens(3).InputKind(in).Test();
}

// Float paths are exact when every partial sum is representable.
TEST_P(Conformance, FloatExactOnGrid) {
  if (!Caps().float_activations) GTEST_SKIP() << "no float path";
  for (size_t k : {1, 33, 1000, 4099})
    Tester().Act(ActivationType::kFloat32).Shape(Quick() ? 9 : 70, k).Tokens(3)
        .InputKind(Inputs::kGrid).Seed(k).Test();
}

TEST_P(Conformance, BlockHeights) {
  if (!Caps().block_k) GTEST_SKIP() << "no k option";
  for (ActivationType act : Acts())
    for (int bk = 1; bk <= 10; ++bk)
      for (auto [m, k] : {std::pair<size_t, size_t>{7, 3}, {33, 100},
                          Quick() ? std::pair<size_t, size_t>{21, 301}
                                  : std::pair<size_t, size_t>{101, 1001}})
        Tester().Act(act).Shape(m, k).BlockK(bk).Tokens(2).Seed(bk).Test();
}

// Token tiles: every N around the tile widths the GEMM kernels use (4, 8,
// 16, 32, 64 tokens; rsrpp-simd's int16 tiles hold 8 / 16 / 32 / 64 tokens
// on AVX3, fewer on narrower targets), K not a multiple of any block (517),
// M not a multiple of the block height. Kernels without SIMD tiles (the
// scalar references, 10-18 s each on the full list) take a short list.
TEST_P(Conformance, TokenTiles) {
  const std::vector<size_t> ns =
      Quick() || !Caps().simd
          ? std::vector<size_t>{2, 9, 17, 33}
          : std::vector<size_t>{2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64,
                                65, 127, 128, 129, 200};
  for (ActivationType act : Acts())
    for (size_t n : ns)
      Tester().Act(act).Shape(Quick() ? 11 : 37, 517).Tokens(n)
          .Threads(1 + static_cast<int>(n % 2)).Seed(n).Test();
}

// 16-bit accumulator edges: one bucket of all K columns (every weight +1 or
// -1) with activations at the extremes. rsrpp-simd's int16 lanes add biased
// activations q + 128 in [0, 255] and are exact for buckets of <= 257
// columns (255 * 257 = 65535): K = 257 is the last int16 block, K = 258 takes
// the int32 path. -128 (hand-made, GemmQuantized) and +127 bound the sums;
// kHalfZero mixes int32 blocks (one K-column bucket) and int16 blocks in one
// matrix. Every token tile shape.
TEST_P(Conformance, Int16Edges) {
  const std::vector<size_t> ns =
      Quick() || !Caps().simd ? std::vector<size_t>{2, 17, 33}
                              : std::vector<size_t>{2, 9, 17, 33, 65, 129};
  for (ActivationType act : Acts())
    for (size_t n : ns) {
      for (size_t k : {257, 258})
        for (Weights w : {Weights::kAllPlus, Weights::kAllMinus})
          for (Inputs in : {Inputs::kAllMax, Inputs::kAllMin, Inputs::kInt8Min})
            Tester().Act(act).Shape(7, k).Tokens(n).WeightKind(w).InputKind(in)
                .Test();
      Tester().Act(act).Shape(Quick() ? 10 : 40, 600).Tokens(n)
          .WeightKind(Weights::kHalfZero).InputKind(Inputs::kAllMax)
          .Threads(2).Seed(n).Test();
    }
}

TEST_P(Conformance, LargeShape) {
  const size_t m = Quick() ? 64 : 1000, k = Quick() ? 2560 : 8640;
  for (ActivationType act : Acts())
    Tester().Act(act).Shape(m, k).Tokens(3).Threads(2).Test();
}

INSTANTIATE_TEST_SUITE_P(AllKernels, Conformance, ::testing::ValuesIn(AllParams()),
                         ParamName);

}  // namespace
}  // namespace rsr::testing
