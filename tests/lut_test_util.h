// Test helpers shared by tl1_test.cc and tl2_test.cc: TL1 and TL2 differ in
// the packed format, not in how the kernel and its table builder are driven.
// Every helper runs each compiled target this CPU supports and compares with
// == (exact int8 path).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "baselines/lut/lut_format.h"
#include "gtest/gtest.h"
#include "rsr/kernel.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"
#include "rsr/reference.h"
#include "rsr/registry.h"
#include "rsr/targets.h"

namespace rsr::lut_test {

// Restores dynamic dispatch and the path rule after each test (the helpers
// force targets and paths).
class TargetTest : public ::testing::Test {
 protected:
  void TearDown() override {
    SetTargetBits(0);
    SetLutPathForTest(LutPath::kAuto);
  }
};

// RSR_TEST_SCALE=quick (the qemu-user runs): smaller grids.
inline bool QuickScale() {
  const char* s = std::getenv("RSR_TEST_SCALE");
  return s != nullptr && std::string(s) == "quick";
}

inline const char* PathName(LutPath path) {
  return path == LutPath::kAuto       ? "auto"
         : path == LutPath::kPerToken ? "per-token"
                                      : "token-table";
}

// Pack -> unpack gives back every matrix of a shape grid around the 64-row
// tile and the 16- and 24-column blocks (ternary and binary); then
// check(packed, M, K, binary) tests the format's own invariants.
template <class Pack, class Unpack, class Check>
void ExpectRoundTrip(const Pack& pack, const Unpack& unpack,
                     const Check& check) {
  const size_t shapes[][2] = {{1, 1},    {1, 2},   {5, 7},   {17, 33},
                              {64, 16},  {65, 17}, {64, 24}, {65, 25},
                              {130, 49}, {3, 1000}};
  for (const auto& s : shapes) {
    for (int binary = 0; binary < 2; ++binary) {
      SCOPED_TRACE(std::to_string(s[0]) + "x" + std::to_string(s[1]) +
                   (binary ? " binary" : " ternary"));
      const TernaryMatrix w = binary ? RandomBinary(s[0], s[1], s[0] + s[1])
                                     : RandomTernary(s[0], s[1], s[0] * s[1]);
      const auto p = pack(w);
      const std::vector<int8_t> back = unpack(p);
      ASSERT_TRUE(std::ranges::equal(back, w.values()));
      check(p, s[0], s[1], binary != 0);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

// Every target x `threads` x M in `ms` x K in `ks` x weights (ternary, and
// binary when `binary`) x token counts in `tokens`, against the reference.
inline void ExpectMatchesReferenceOnShapes(const std::string& kernel,
                                           std::initializer_list<size_t> ms,
                                           std::initializer_list<size_t> ks,
                                           std::initializer_list<size_t> tokens,
                                           std::initializer_list<int> threads,
                                           bool binary) {
  for (const TargetInfo& target : SupportedTargets()) {
    SetTargetBits(target.bits);
    for (int th : threads) {
      auto k = CreateKernel(kernel, {.threads = th});
      for (size_t m : ms) {
        for (size_t kk : ks) {
          for (int bin = 0; bin < (binary ? 2 : 1); ++bin) {
            const uint64_t seed = m * 1000 + kk * 10 + bin;
            const TernaryMatrix w =
                bin ? RandomBinary(m, kk, seed, 0.5, 0.5f)
                    : RandomTernary(m, kk, seed, 1.0 / 3, 0.5f);
            k->Prepare(w);
            for (size_t n : tokens) {
              const auto x = RandomActivations(n * kk, seed + n);
              std::vector<float> y(n * m), ref(n * m);
              k->Gemm(x, n, y);
              ReferenceGemmI8(w, QuantizeActivations(x, kk, n), ref);
              ASSERT_EQ(y, ref)
                  << target.name << " threads=" << th << " " << m << "x" << kk
                  << " tokens=" << n << " binary=" << bin;
            }
          }
        }
      }
    }
  }
  SetTargetBits(0);
}

// Tiny and tail shapes (M around the 64-row tile, K around the 16/24-column
// block), ternary and binary, 1, 3 and 9 tokens (9 > the 8-token block).
inline void ExpectMatchesReferenceOnTinyShapes(const std::string& kernel) {
  ExpectMatchesReferenceOnShapes(kernel, {1, 2, 63, 64, 65, 130},
                                 {1, 2, 3, 15, 16, 17, 33, 100}, {1, 3, 9},
                                 {1, 3}, /*binary=*/true);
}

// The token-table path (forced) at every tail it has: M around the 64-row
// tile and the kVecRowTiles chunk, K around the K block of kBlockGroups
// groups of kCols columns and past the int16 widening interval, tokens around
// the 32-token tile; then the auto rule's mix of both paths at token counts
// around the rule's threshold. Ternary and binary weights, 1 and 3 threads.
inline void ExpectTokenTablesMatchReference(const std::string& kernel,
                                            size_t cols, bool quick) {
  const size_t kb = kVecGroups(cols) * kVecDigits(cols);  // K block columns
  const size_t widen = kVecWidenGroups(cols) * kVecDigits(cols);
  const std::vector<size_t> ms =
      quick ? std::vector<size_t>{1, 65} : std::vector<size_t>{1, 64, 65, 1090};
  const std::vector<size_t> ks =
      quick ? std::vector<size_t>{1, kb + 1, widen + kb + 1}
            : std::vector<size_t>{1,          2,      cols,      kb - 1,
                                  kb,         kb + 1, widen - 1, widen + kb + 1,
                                  5 * kb + 7, 1000};
  const std::vector<size_t> ns =
      quick ? std::vector<size_t>{2, 33}
            : std::vector<size_t>{1, 2, 31, 32, 33, 65};
  for (const TargetInfo& target : SupportedTargets()) {
    SetTargetBits(target.bits);
    for (int threads : {1, 3}) {
      auto k = CreateKernel(kernel, {.threads = threads});
      for (size_t m : ms) {
        for (size_t kk : ks) {
          for (int binary = 0; binary < 2; ++binary) {
            if (m > 65 && (binary || threads == 1 || kk < 1000)) continue;
            const uint64_t seed = m * 1000 + kk * 10 + binary;
            const TernaryMatrix w =
                binary ? RandomBinary(m, kk, seed, 0.5, 0.5f)
                       : RandomTernary(m, kk, seed, 1.0 / 3, 0.5f);
            k->Prepare(w);
            for (size_t tokens : ns) {
              const auto x = RandomActivations(tokens * kk, seed + tokens);
              const auto xq = QuantizeActivations(x, kk, tokens);
              std::vector<float> ref(tokens * m);
              ReferenceGemmI8(w, xq, ref);
              for (LutPath path : {LutPath::kTokenTable, LutPath::kAuto}) {
                SetLutPathForTest(path);
                std::vector<float> y(tokens * m);
                k->Gemm(x, tokens, y);
                ASSERT_EQ(y, ref)
                    << target.name << " threads=" << threads << " " << m << "x"
                    << kk << " tokens=" << tokens << " binary=" << binary << " "
                    << PathName(path);
              }
              SetLutPathForTest(LutPath::kAuto);
            }
          }
        }
      }
    }
  }
  // The auto rule around its threshold: whole 32-token tiles plus a
  // remainder on either path.
  SetTargetBits(0);
  auto k = CreateKernel(kernel, {.threads = 2});
  const TernaryMatrix w = RandomTernary(130, 301, 5, 1.0 / 3, 0.5f);
  k->Prepare(w);
  // (thresholds: TL1 16, TL2 20 tokens; lut_kernel.h kVecMinTokens)
  for (size_t tokens : {15, 16, 17, 19, 20, 21, 47, 48, 49, 51, 52, 53, 64}) {
    const auto x = RandomActivations(tokens * 301, tokens);
    std::vector<float> y(tokens * 130), ref(tokens * 130);
    k->Gemm(x, tokens, y);
    ReferenceGemmI8(w, QuantizeActivations(x, 301, tokens), ref);
    ASSERT_EQ(y, ref) << "auto tokens=" << tokens;
  }
}

// The int16 accumulator worst case: all weights +1 or -1 and activations all
// -128 or 127 (token 0) or mixed with -128 every `stride` columns (token 1),
// at a large K; through Kernel::GemmQuantized since QuantizeActivations
// never produces -128.
inline void ExpectExactAtAccumulatorWorstCase(const std::string& kernel,
                                              size_t K, size_t stride,
                                              LutPath path) {
  SetLutPathForTest(path);
  constexpr size_t kM = 65;
  for (int wv : {1, -1}) {
    const TernaryMatrix w = ConstantMatrix(kM, K, static_cast<int8_t>(wv));
    for (int av : {-128, 127}) {
      QuantizedActivations xq;
      xq.cols = K;
      xq.tokens = 2;
      xq.q.assign(2 * K, static_cast<int8_t>(av));
      for (size_t i = 0; i < K; i += stride) xq.q[K + i] = -128;
      xq.scale = {1.0f, 1.0f};
      xq.sum = {0, 0};
      for (size_t i = 0; i < 2 * K; ++i) xq.sum[i / K] += xq.q[i];
      std::vector<float> ref(2 * kM);
      ReferenceGemmI8(w, xq, ref);
      EXPECT_EQ(ref[0], static_cast<float>(wv * av * static_cast<int64_t>(K)));
      for (const TargetInfo& target : SupportedTargets()) {
        SetTargetBits(target.bits);
        for (int threads : {1, 2}) {
          auto k = CreateKernel(kernel, {.threads = threads});
          k->Prepare(w);
          std::vector<float> y(2 * kM);
          k->GemmQuantized(xq, y);
          ASSERT_EQ(y, ref) << target.name << " w=" << wv << " a=" << av
                            << " K=" << K << " " << PathName(path);
        }
      }
    }
  }
}

// The SIMD table builder of one token (simd(q, K, tables)) against the scalar
// builder of one group (scalar(a, table), a = kCols activations, zero past
// K; kTableBytes per group): byte-identical for K with every tail, extreme
// and random activations, and nothing written past the last group.
template <size_t kCols, size_t kTableBytes, class Scalar, class Simd>
void ExpectSimdTablesMatchScalar(const Scalar& scalar, const Simd& simd) {
  constexpr size_t kGuard = 64;
  std::mt19937 rng(7);
  for (size_t K : {1, 2, 3, 5, 16, 17, 23, 24, 25, 47, 49, 8640}) {
    const size_t groups = (K + 8 * kCols - 1) / (8 * kCols) * 8;
    for (int pattern = 0; pattern < 4; ++pattern) {
      std::vector<int8_t> q(K);         // exactly K: ASan catches reads past K
      for (size_t i = 0; i < K; ++i) {  // -128, 127, mixed, random
        const int8_t mixed = i % 3 == 1 ? 127 : -128;
        const int8_t fixed[3] = {-128, 127, mixed};
        q[i] = pattern < 3 ? fixed[pattern] : static_cast<int8_t>(rng());
      }
      std::vector<uint8_t> want(groups * kTableBytes + kGuard, 0xA5);
      for (size_t g = 0; g < groups; ++g) {
        int8_t a[kCols] = {};
        for (size_t i = 0; i < kCols; ++i)
          if (kCols * g + i < K) a[i] = q[kCols * g + i];
        scalar(a, want.data() + kTableBytes * g);
      }
      for (const TargetInfo& target : SupportedTargets()) {
        SetTargetBits(target.bits);
        std::vector<uint8_t> got(want.size(), 0xA5);
        simd(q.data(), K, got.data());
        ASSERT_EQ(got, want)
            << target.name << " K=" << K << " pattern=" << pattern;
      }
    }
  }
}

// Just past the token tables' int16 widening interval (and one K block
// further): sums that one more group would overflow, for a format of `cols`
// columns per group.
inline void ExpectTokenTablesExactAtWideningInterval(const std::string& kernel,
                                                     size_t cols) {
  for (size_t groups : {kVecWidenGroups(cols), kVecWidenGroups(cols) + 1,
                        kVecWidenGroups(cols) + kVecGroups(cols)}) {
    ExpectExactAtAccumulatorWorstCase(kernel, kVecDigits(cols) * groups, cols,
                                      LutPath::kTokenTable);
  }
}

}  // namespace rsr::lut_test
