// Unit tests of the RSR index (build, validation, codes) and the fold math of
// rsr, rsrpp and rsrpp-simd on tiny exhaustive grids, every SIMD target.
#include "kernels/rsr/rsr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kernels/rsr/rsr_index.h"
#include "kernels/rsr/rsrpp_layout.h"
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
  // The index: 3 blocks x (1000 permutation + 82 offsets) x uint16, plus the
  // padded index derived from it.
  const auto ix = rsr_index::Build(w, 4, CodeForm::kBase3, +1, 1);
  const size_t index_bytes = 3u * (1000 + 81 + 1) * 2;
  EXPECT_EQ(ix.Bytes(), index_bytes);
  const size_t padded = rsr_index::Pad(ix, 1).Bytes();
  EXPECT_EQ(simd->PreparedBytes(), index_bytes + padded);
  auto pp = CreateKernel("rsrpp", Opts(1, 4));
  pp->Prepare(w);  // two binary planes
  EXPECT_EQ(pp->PreparedBytes(), 2u * 3 * (1000 + 16 + 1) * 2);
  pp->Prepare(RandomBinary(10, 1000, 5));  // one plane
  EXPECT_EQ(pp->PreparedBytes(), 3u * (1000 + 16 + 1) * 2);
  EXPECT_NEAR(simd->BitsPerWeight(), 8.0 * (index_bytes + padded) / 10000,
              1e-12);
}

// Rebuild (the GEMM index at another k, from a loaded index) equals Build
// from the matrix, entry for entry.
TEST(RsrIndex, RebuildMatchesBuild) {
  for (bool binary : {false, true})
    for (int k : {1, 3, 5})
      for (int k2 : {1, 2, 4, 6}) {
        const size_t m = 13, kk = 301;
        const TernaryMatrix w = binary ? RandomBinary(m, kk, 40 + k)
                                       : RandomTernary(m, kk, 40 + k);
        const CodeForm form = binary ? CodeForm::kBinary : CodeForm::kBase3;
        const auto ix = rsr_index::Build(w, k, form, +1, 2);
        const auto want = rsr_index::Build(w, k2, form, +1, 1);
        const auto got = rsr_index::Rebuild(ix, k2, 2);
        ASSERT_EQ(got.k, k2);
        ASSERT_EQ(got.blocks, want.blocks);
        ASSERT_EQ(got.perm16.size(), want.perm16.size());
        ASSERT_EQ(got.off16.size(), want.off16.size());
        for (size_t i = 0; i < want.perm16.size(); ++i)
          ASSERT_EQ(got.perm16[i], want.perm16[i]) << "binary " << binary;
        for (size_t i = 0; i < want.off16.size(); ++i)
          ASSERT_EQ(got.off16[i], want.off16[i]) << "binary " << binary;
      }
}

// The padded index against the index it derives from: each bucket's columns
// in order, then fewer than 4 entries K; group starts; the int16 flag; row
// sums; Bytes() against the bound.
TEST(RsrIndex, PadLayout) {
  for (bool binary : {false, true})
    for (int k : {1, 2, 3, 5})
      for (size_t kk : {1, 7, 258, 1001}) {
        const size_t m = 11;
        const TernaryMatrix w = binary ? RandomBinary(m, kk, kk + k)
                                       : RandomTernary(m, kk, kk + k, 0.6);
        const CodeForm form = binary ? CodeForm::kBinary : CodeForm::kBase3;
        const auto ix = rsr_index::Build(w, k, form, +1, 2);
        const auto px = rsr_index::Pad(ix, 2);
        SCOPED_TRACE("binary " + std::to_string(binary) + " k " +
                     std::to_string(k) + " K " + std::to_string(kk));
        ASSERT_EQ(px.blocks, ix.blocks);
        for (size_t b = 0; b < ix.blocks; ++b) {
          const uint16_t* perm = px.Perm<uint16_t>(b);
          const uint16_t* group = px.Groups<uint16_t>(b);
          ASSERT_EQ(group[0], 0);
          ASSERT_EQ(px.start[b + 1] - px.start[b], size_t{group[ix.buckets]} * 4);
          size_t longest = 0;
          for (size_t c = 0; c < ix.buckets; ++c) {
            const size_t len = ix.Offset(b, c + 1) - ix.Offset(b, c);
            longest = std::max(longest, len);
            const size_t slots = (size_t{group[c + 1]} - group[c]) * 4;
            ASSERT_GE(slots, len);
            ASSERT_LT(slots - len, 4u);
            for (size_t i = 0; i < slots; ++i)
              ASSERT_EQ(perm[group[c] * 4 + i],
                        i < len ? ix.PermAt(b, ix.Offset(b, c) + i) : kk);
          }
          ASSERT_EQ(px.narrow[b], longest <= 257 ? 1 : 0);
        }
        for (size_t r = 0; r < m; ++r) {
          int32_t sum = 0;
          for (size_t j = 0; j < kk; ++j) sum += w.at(r, j);
          ASSERT_EQ(px.row_sum[r], sum) << "row " << r;
        }
        EXPECT_LE(px.Bytes(), rsr_index::PaddedBytesBound(m, kk, k, form));
      }
}

TEST(RsrKernels, RejectsTooLargeTernaryK) {
  auto simd = CreateKernel("rsrpp-simd", Opts(1, 13));
  EXPECT_THROW(simd->Prepare(RandomTernary(4, 10, 1)), Error);
  EXPECT_NO_THROW(simd->Prepare(RandomBinary(4, 10, 1)));  // 2^13 buckets ok
}

TEST(RsrKernels, DefaultK) {
  for (size_t kk : {size_t{1}, size_t{100}, size_t{2560}, size_t{8192}, size_t{65536}, size_t{1} << 20}) {
    EXPECT_GE(RsrDefaultK(kk), 1);
    EXPECT_GE(RsrppDefaultK(kk), RsrDefaultK(kk));
    EXPECT_LE(RsrppSimdDefaultK(kk, false), 12);
  }
}

// ------------------------------------------------------------ save/load ----

// Payload starts after the 104-byte header; checksums at 88 (payload) and 96
// (header), as in tests/serialize_test.cc.
void FixChecksums(std::vector<uint8_t>& f) {
  const uint64_t payload = Checksum({f.data() + 104, f.size() - 104});
  std::memcpy(f.data() + 88, &payload, 8);
  const uint64_t header = Checksum({f.data(), 96});
  std::memcpy(f.data() + 96, &header, 8);
}
template <class T>
void PokePayload(std::vector<uint8_t>& f, size_t at, T v) {
  std::memcpy(f.data() + 104 + at, &v, sizeof(T));
  FixChecksums(f);
}

TEST(RsrSerialize, RoundTripShapesAndForms) {
  struct Case {
    const char* name;
    int k;
    bool binary;
    size_t m, kk;
  };
  for (const Case& c :
       {Case{"rsrpp-simd", 16, true, 3, 40},
        Case{"rsrpp-simd", 12, false, 13, 50},
        Case{"rsrpp-simd", 0, false, 3, 70000}, Case{"rsr", 0, true, 5, 70000},
        Case{"rsrpp", 3, true, 7, 30}, Case{"rsrpp", 16, false, 17, 20}}) {
    auto fresh = CreateKernel(c.name, Opts(2, c.k));
    const TernaryMatrix w =
        c.binary ? RandomBinary(c.m, c.kk, 3) : RandomTernary(c.m, c.kk, 3);
    fresh->Prepare(w);
    auto loaded = LoadKernelFromBytes(SaveKernelToBytes(*fresh));
    EXPECT_EQ(loaded->PreparedBytes(), fresh->PreparedBytes());
    const auto x = RandomActivations(c.kk * 2, 4);
    std::vector<float> y1(c.m * 2), y2(c.m * 2);
    fresh->Gemm(x, 2, y1);
    loaded->Gemm(x, 2, y2);
    EXPECT_EQ(y1, y2) << c.name << " k=" << c.k;
  }
}

TEST(RsrSerialize, RejectsHostileIndexEdits) {
  // rsrpp-simd, W = [-1 +1], k = 1 (header k = 1): payload = i32 k, u8 form,
  // u8 wide, u64 2, perm u16 [0 1], u64 4, offsets u16 [0 1 1 2].
  auto simd = CreateKernel("rsrpp-simd", Opts(1, 1));
  simd->Prepare(TernaryMatrix(1, 2, {-1, 1}));
  const std::vector<uint8_t> good = SaveKernelToBytes(*simd);
  ASSERT_EQ(good.size(), 104u + 6 + 8 + 4 + 8 + 8);
  EXPECT_NO_THROW(LoadKernelFromBytes(good));
  const auto rejects = [](const std::vector<uint8_t>& f,
                          const std::string& why) {
    try {
      LoadKernelFromBytes(f);
      ADD_FAILURE() << "loaded; expected: " << why;
    } catch (const Error& e) {
      EXPECT_EQ(e.argument(), "file");
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  auto f = good;
  PokePayload<int32_t>(f, 0, 2);  // k differs from the header's k
  rejects(f, "does not match the header");
  f = good;
  PokePayload<uint8_t>(f, 5, 1);  // uint32 index for K = 2
  rejects(f, "uint32 index does not match K");
  f = good;
  PokePayload<uint8_t>(f, 4, 2);  // unknown code form
  rejects(f, "unknown code form");
  f = good;
  PokePayload<uint16_t>(f, 14, 1);  // permutation not a bijection
  rejects(f, "appears twice");
  f = good;
  PokePayload<uint16_t>(f, 28, 0);  // offsets [0 0 1 2]: no -1 left
  rejects(f, "without a -1");
  // Header k = 0: k = 13 is beyond the base-3 limit (and the sizes).
  auto simd0 = CreateKernel("rsrpp-simd", Opts(1, 0));
  simd0->Prepare(TernaryMatrix(1, 2, {-1, 1}));
  f = SaveKernelToBytes(*simd0);
  PokePayload<int32_t>(f, 0, 13);
  rejects(f, "outside 1..12");

  // rsr, W = [+1 -1 0], k = 1: u8 planes, then per plane i32 k, u8 form,
  // u8 wide, u64 3, perm u16 x3, u64 3, offsets u16 x3 (34 bytes).
  // B+ perm [1 2 0] at 15, B- perm [0 2 1] at 49.
  auto scalar = CreateKernel("rsr", Opts(1, 1));
  scalar->Prepare(TernaryMatrix(1, 3, {1, -1, 0}));
  const std::vector<uint8_t> good_rsr = SaveKernelToBytes(*scalar);
  ASSERT_EQ(good_rsr.size(), 104u + 1 + 2 * 34);
  EXPECT_NO_THROW(LoadKernelFromBytes(good_rsr));
  f = good_rsr;
  std::memcpy(f.data() + 104 + 49, f.data() + 104 + 15,
              6);  // column 0 is +1 and -1
  FixChecksums(f);
  rejects(f, "both +1 and -1");
  f = good_rsr;
  PokePayload<uint16_t>(f, 49,
                        2);  // B- perm [2 0 1]: not ascending in bucket 0
  PokePayload<uint16_t>(f, 51, 0);
  rejects(f, "not ascending");
  f = good_rsr;
  PokePayload<uint8_t>(f, 0, 3);  // plane count
  rejects(f, "plane count");
}

TEST(RsrIndex, ValidateCanonicalRejectsNonzeroPadding) {
  // 5 rows, k = 3: the last block has one padding row; pretend M = 4 so
  // row 4's nonzero weights sit in a second padding row.
  const TernaryMatrix w(5, 3, {0, 1, -1, 1, 0, 0, -1, 0, 1, 0, 0, 0, 0, 1, -1});
  for (CodeForm form : {CodeForm::kBase3, CodeForm::kBinary}) {
    rsr_index::Index ix = rsr_index::Build(w, 3, form, +1, 1);
    EXPECT_NO_THROW(rsr_index::ValidateCanonical(ix));
    ix.rows = 4;
    EXPECT_NO_THROW(rsr_index::Validate(ix));
    EXPECT_THROW(rsr_index::ValidateCanonical(ix), Error);
  }
}

}  // namespace
}  // namespace rsr
