// Unit tests of the RSR index (build, validation, codes) and the fold math of
// rsr, rsrpp and rsrpp-simd on tiny exhaustive grids, every SIMD target.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kernels/rsr/rsr.h"
#include "kernels/rsr/rsr_index.h"
#include "rsr/rsr.h"

namespace rsr {
namespace {

using rsr_index::CodeForm;

KernelOptions Opts(int threads, int k,
                   std::optional<ActivationType> act = std::nullopt) {
  KernelOptions o;
  o.threads = threads;
  o.k = k;
  o.activations = act;
  return o;
}

TEST(RsrIndex, PaperK) {
  EXPECT_EQ(RsrPaperK(2048), 8);    // 11 - 3.46
  EXPECT_EQ(RsrPaperK(8192), 9);    // 13 - 3.70
  EXPECT_EQ(RsrPaperK(65536), 12);  // 16 - 4
  EXPECT_GE(RsrPaperK(1), 1);
  EXPECT_GE(RsrPaperK(2), 1);
}

// Every column of bucket c has pattern c in the block's rows.
void ExpectCodesMatch(const TernaryMatrix& w, const rsr_index::Index& ix,
                      int plane) {
  for (size_t b = 0; b < ix.blocks; ++b) {
    const auto codes = rsr_index::ColumnCodes(ix, b);
    for (size_t j = 0; j < w.cols(); ++j) {
      for (int t = 0; t < ix.k; ++t) {
        const size_t r = b * ix.k + t;
        const int v = r < w.rows() ? w.at(r, j) : 0;
        const uint32_t c = codes[j];
        switch (ix.form) {
          case CodeForm::kBinary:
            ASSERT_EQ(rsr_index::CodeDigit(ix.form, ix.k, c, t), v == plane ? 1 : 0);
            break;
          case CodeForm::kBase3:
            ASSERT_EQ(rsr_index::CodeDigit(ix.form, ix.k, c, t), v + 1);
            break;
        }
      }
    }
    // Ascending column inside each bucket.
    for (size_t c = 0; c < ix.buckets; ++c)
      for (size_t p = ix.Offset(b, c) + 1; p < ix.Offset(b, c + 1); ++p)
        ASSERT_LT(ix.PermAt(b, p - 1), ix.PermAt(b, p));
  }
}

TEST(RsrIndex, BuildValidateAndDecode) {
  for (CodeForm form : {CodeForm::kBinary, CodeForm::kBase3}) {
    for (int k = 1; k <= 6; ++k) {
      for (size_t m : {1, 2, 5, 13}) {
        for (size_t kk : {1, 3, 64, 131}) {
          const TernaryMatrix w = RandomTernary(m, kk, m * 1000 + kk + k);
          for (int plane : {+1, -1}) {
            if (form != CodeForm::kBinary && plane < 0) continue;
            const auto ix = rsr_index::Build(w, k, form, plane, 2);
            SCOPED_TRACE(std::string(rsr_index::CodeFormName(form)) + " k=" +
                         std::to_string(k) + " " + std::to_string(m) + "x" +
                         std::to_string(kk));
            EXPECT_NO_THROW(rsr_index::Validate(ix));
            EXPECT_EQ(ix.blocks, (m + k - 1) / k);
            EXPECT_FALSE(ix.wide);
            EXPECT_EQ(ix.Bytes(), ix.blocks * (kk + ix.buckets + 1) * 2);
            ExpectCodesMatch(w, ix, plane);
          }
        }
      }
    }
  }
}

TEST(RsrIndex, WideBeyond65535) {
  const TernaryMatrix w = RandomTernary(3, 70001, 7);
  const auto ix = rsr_index::Build(w, 2, CodeForm::kBase3, +1, 1);
  EXPECT_TRUE(ix.wide);
  EXPECT_NO_THROW(rsr_index::Validate(ix));
  EXPECT_EQ(ix.Bytes(), ix.blocks * (70001 + 9 + 1) * 4);
  ExpectCodesMatch(w, ix, +1);
  // K = 65535 still fits uint16 offsets; 65536 does not.
  EXPECT_FALSE(rsr_index::NeedsWideIndex(65535));
  EXPECT_TRUE(rsr_index::NeedsWideIndex(65536));
}

TEST(RsrIndex, ValidateRejectsCorruption) {
  const TernaryMatrix w = RandomTernary(7, 50, 3);
  auto fresh = [&] { return rsr_index::Build(w, 3, CodeForm::kBase3, +1, 1); };
  {
    auto ix = fresh();
    ix.perm16[ix.cols + 5] = ix.perm16[ix.cols + 6];  // duplicate in block 1
    EXPECT_THROW(rsr_index::Validate(ix), Error);
  }
  {
    auto ix = fresh();
    ix.perm16[3] = 50;  // out of range
    EXPECT_THROW(rsr_index::Validate(ix), Error);
  }
  {
    auto ix = fresh();
    ix.off16[0] = 1;  // must start at 0
    EXPECT_THROW(rsr_index::Validate(ix), Error);
  }
  {
    auto ix = fresh();
    ix.off16[ix.buckets] = 49;  // must end at K
    EXPECT_THROW(rsr_index::Validate(ix), Error);
  }
  {
    auto ix = fresh();
    const size_t base = 2 * (ix.buckets + 1);  // block 2
    size_t c = 1;
    while (ix.off16[base + c] == ix.off16[base + c + 1]) ++c;
    ix.off16[base + c] = static_cast<uint16_t>(ix.off16[base + c + 1] + 1);
    EXPECT_THROW(rsr_index::Validate(ix), Error);
  }
  EXPECT_THROW(rsr_index::Build(w, 13, CodeForm::kBase3, +1, 1), Error);
  EXPECT_THROW(rsr_index::Build(w, 0, CodeForm::kBinary, +1, 1), Error);
}

// Fold math end to end: every kernel, k = 1..10, tiny shapes, int8 == and
// float == on a 1/8 grid, on every supported SIMD target.
void CheckKernel(const std::string& name, const TernaryMatrix& w,
                 size_t tokens, int k, int threads, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> x(tokens * w.cols());
  for (float& v : x) v = static_cast<float>(static_cast<int>(rng() % 17) - 8) / 8;
  std::vector<float> y(tokens * w.rows()), ref(y.size());
  const std::string what = name + " k=" + std::to_string(k) + " " +
                           std::to_string(w.rows()) + "x" + std::to_string(w.cols()) +
                           " N=" + std::to_string(tokens) + " target=" +
                           CurrentTargetName();
  {
    auto kern = CreateKernel(name, Opts(threads, k, ActivationType::kInt8));
    kern->Prepare(w);
    kern->Gemm(x, tokens, y);
    ReferenceGemmI8(w, QuantizeActivations(x, w.cols(), tokens), ref);
    ASSERT_EQ(y, ref) << what << " int8";
  }
  {
    auto kern = CreateKernel(name, Opts(threads, k, ActivationType::kFloat32));
    kern->Prepare(w);
    kern->Gemm(x, tokens, y);
    ReferenceGemmF32(w, x, tokens, ref);
    ASSERT_EQ(y, ref) << what << " f32";
  }
}

TEST(RsrKernels, TinyGridAllK) {
  for (const auto& target : SupportedTargets()) {
    SetTargetBits(target.bits);
    for (const char* name : {"rsr", "rsrpp", "rsrpp-simd"}) {
      for (int k = 1; k <= 10; ++k) {
        for (size_t m : {1, 4, 11}) {
          for (size_t kk : {1, 7, 40}) {
            for (bool binary : {false, true}) {
              const uint64_t seed = m * 7919 + kk * 31 + k;
              const TernaryMatrix w = binary ? RandomBinary(m, kk, seed)
                                             : RandomTernary(m, kk, seed);
              for (size_t n : {1, 3, 9, 37}) {
                // k = 9, 10 (up to 59049 buckets): one shape, keeps it fast.
                if (k > 8 && (m != 11 || kk != 40 || n == 3)) continue;
                CheckKernel(name, w, n, k, 2, seed + n);
                if (HasFatalFailure()) return;
              }
            }
          }
        }
      }
    }
  }
  SetTargetBits(0);
}

// Worst-case sums (every weight +1 or -1, activations at the int8 extreme),
// all-zero rows and a K needing the uint32 index.
TEST(RsrKernels, ExtremesAndWideIndex) {
  for (const auto& target : SupportedTargets()) {
    SetTargetBits(target.bits);
    for (const char* name : {"rsr", "rsrpp", "rsrpp-simd"}) {
      for (int8_t v : {int8_t{1}, int8_t{-1}, int8_t{0}}) {
        const TernaryMatrix w = ConstantMatrix(5, 3001, v);
        std::vector<float> x(3001 * 2, -1.0f);
        for (size_t i = 3001; i < x.size(); ++i) x[i] = 1.0f;
        for (int k : {1, 4, 7}) {
          auto kern = CreateKernel(name, Opts(2, k));
          kern->Prepare(w);
          std::vector<float> y(10), ref(10);
          kern->Gemm(x, 2, y);
          ReferenceGemmI8(w, QuantizeActivations(x, 3001, 2), ref);
          ASSERT_EQ(y, ref) << name << " v=" << int(v) << " k=" << k;
        }
      }
    }
  }
  SetTargetBits(0);
  const TernaryMatrix w = RandomTernary(3, 70001, 11);
  const auto x = RandomActivations(70001 * 3, 12);
  std::vector<float> ref(9);
  ReferenceGemmI8(w, QuantizeActivations(x, 70001, 3), ref);
  for (const char* name : {"rsr", "rsrpp", "rsrpp-simd"}) {
    auto kern = CreateKernel(name, Opts(2, 3));
    kern->Prepare(w);
    std::vector<float> y(9), y1(3);
    kern->Gemm(x, 3, y);
    EXPECT_EQ(y, ref) << name;
    kern->Gemv(std::span<const float>(x).first(70001), y1);
    EXPECT_EQ(y1, std::vector<float>(ref.begin(), ref.begin() + 3)) << name;
  }
}

TEST(RsrKernels, PreparedBytesExact) {
  const TernaryMatrix w = RandomTernary(10, 1000, 5);
  auto simd = CreateKernel("rsrpp-simd", Opts(1, 4));
  simd->Prepare(w);
  // 3 blocks x (1000 permutation + 82 offsets) x uint16.
  EXPECT_EQ(simd->PreparedBytes(), 3u * (1000 + 81 + 1) * 2);
  auto pp = CreateKernel("rsrpp", Opts(1, 4));
  pp->Prepare(w);  // two binary planes
  EXPECT_EQ(pp->PreparedBytes(), 2u * 3 * (1000 + 16 + 1) * 2);
  pp->Prepare(RandomBinary(10, 1000, 5));  // one plane
  EXPECT_EQ(pp->PreparedBytes(), 3u * (1000 + 16 + 1) * 2);
  EXPECT_NEAR(simd->BitsPerWeight(), 8.0 * 3 * 1082 * 2 / 10000, 1e-12);
}

TEST(RsrKernels, RejectsTooLargeTernaryK) {
  auto simd = CreateKernel("rsrpp-simd", Opts(1, 13));
  EXPECT_THROW(simd->Prepare(RandomTernary(4, 10, 1)), Error);
  EXPECT_NO_THROW(simd->Prepare(RandomBinary(4, 10, 1)));  // 2^13 buckets ok
}

TEST(RsrKernels, DefaultK) {
  for (size_t kk : {size_t{1}, size_t{100}, size_t{2560}, size_t{8192}, size_t{65536}, size_t{1} << 20}) {
    EXPECT_GE(RsrDefaultK(kk), 1);
    EXPECT_GE(RsrPPDefaultK(kk), RsrDefaultK(kk));
    EXPECT_LE(RsrPPSimdDefaultK(kk, false), 12);
  }
}

}  // namespace
}  // namespace rsr
