// Test helpers shared by i2s_test.cc and tq5_test.cc: the two row-packed
// formats (baselines/rowpack) differ in the block bit order, not in how the
// kernel is driven. Every helper runs each compiled target this CPU supports
// and compares with == (exact int8 path).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "baselines/rowpack/rowpack.h"
#include "gtest/gtest.h"
#include "rsr/kernel.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"
#include "rsr/reference.h"
#include "rsr/registry.h"
#include "rsr/serialize.h"
#include "rsr/targets.h"

namespace rsr::rowpack_test {

// n weights in {-1, 0, +1}, uniform.
inline std::vector<int8_t> RandomWeights(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int8_t> w(n);
  for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  return w;
}

// Runs `body` once per compiled target this CPU supports.
template <class Body>
void ForEachTarget(const Body& body) {
  for (const TargetInfo& t : SupportedTargets()) {
    SetTargetBits(t.bits);
    SCOPED_TRACE(t.name);
    body();
  }
  SetTargetBits(0);
}

inline void ExpectMatchesReference(const std::string& kernel_name,
                                   const TernaryMatrix& w,
                                   const QuantizedActivations& xq,
                                   int threads) {
  const auto kernel = CreateKernel(kernel_name, {.threads = threads});
  kernel->Prepare(w);
  std::vector<float> want(xq.tokens * w.rows()), got(want.size(), -1.0f);
  ReferenceGemmI8(w, xq, want);
  kernel->GemmQuantized(xq, got);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i])
        << "M=" << w.rows() << " K=" << w.cols() << " N=" << xq.tokens
        << " threads=" << threads << " token=" << i / w.rows()
        << " row=" << i % w.rows();
  }
}

// Pack (rowpack) of M x K matrices for each K: the layout's sizes, the
// unpacked blocks (unpack: the format's UnpackBlock) give the weights back
// with zero padding, Pack's output validates, and the scalar dot is exact.
template <class F, class Unpack>
void PackMatrixAndScalarDot(std::initializer_list<size_t> ks, Unpack unpack) {
  for (size_t K : ks) {
    const size_t M = rowpack::kGroupRows + 3;  // two row groups
    const size_t nb = (K + F::kBlockCodes - 1) / F::kBlockCodes;
    const TernaryMatrix w = RandomTernary(M, K, K, 0.3, 0.5f);
    const auto p = rowpack::Pack<F>(w);
    ASSERT_EQ(p.row_bytes, nb * F::kBlockBytes);
    EXPECT_EQ(p.PreparedBytes(),
              M * nb * F::kBlockBytes + F::kReadSlack + sizeof(float));
    // The file image (rows one after another) validates and reads back.
    std::vector<uint8_t> flat(M * p.row_bytes);
    rowpack::Relayout(p.layout(), p.bytes.data(), flat.data(),
                      /*to_layout=*/false);
    rowpack::ValidatePacked<F>(flat.data(), M, K);
    std::vector<uint8_t> back(M * p.row_bytes);
    rowpack::Relayout(p.layout(), flat.data(), back.data(), /*to_layout=*/true);
    EXPECT_TRUE(std::equal(back.begin(), back.end(), p.bytes.data()));
    std::mt19937_64 rng(K);
    std::vector<int8_t> q(K);
    for (auto& v : q)
      v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    for (size_t r = 0; r < M; ++r) {
      std::vector<int8_t> row(nb * F::kBlockCodes);
      for (size_t b = 0; b < nb; ++b)
        unpack(p.block(r, b), row.data() + b * F::kBlockCodes);
      int32_t want = 0;
      for (size_t k = 0; k < K; ++k) {
        ASSERT_EQ(row[k], w.at(r, k)) << "r=" << r << " k=" << k;
        want += w.at(r, k) * q[k];
      }
      for (size_t k = K; k < row.size(); ++k) EXPECT_EQ(row[k], 0);
      EXPECT_EQ(rowpack::DotRowScalar<F>(p, r, q.data()), want);
    }
  }
}

// Save writes the rows one after another (the file format) whatever the
// in-memory Layout: the file's last M * row_bytes bytes (the payload array)
// equal each row packed on its own. The loaded kernel computes what the
// saved one did. 2 segments and 2 row groups for both formats.
template <class F>
void SaveIsRowMajorAndLoadsBack(const std::string& kernel_name) {
  const size_t M = rowpack::kGroupRows + 3, K = 12345;
  const size_t nb = (K + F::kBlockCodes - 1) / F::kBlockCodes;
  const size_t row_bytes = nb * F::kBlockBytes;
  ASSERT_GT(row_bytes, rowpack::kSegmentBytes);
  const TernaryMatrix w = RandomTernary(M, K, 11);
  const auto kernel = CreateKernel(kernel_name, {.threads = 2});
  kernel->Prepare(w);
  const std::vector<uint8_t> file = SaveKernelToBytes(*kernel);
  ASSERT_GE(file.size(), M * row_bytes);
  const uint8_t* rows = file.data() + file.size() - M * row_bytes;
  for (size_t r = 0; r < M; ++r) {
    for (size_t b = 0; b < nb; ++b) {
      const size_t k0 = b * F::kBlockCodes;
      typename F::Block want;
      F::PackBlock(w.row(r) + k0, std::min(F::kBlockCodes, K - k0), want);
      ASSERT_EQ(std::memcmp(rows + r * row_bytes + b * F::kBlockBytes, want.qs,
                            F::kBlockBytes),
                0)
          << "row " << r << " block " << b;
    }
  }
  const auto loaded = LoadKernelFromBytes(file);
  const auto x = RandomActivations(3 * K, 5);
  std::vector<float> want(3 * M), got(3 * M);
  kernel->Gemm(x, 3, want);
  loaded->Gemm(x, 3, got);
  EXPECT_EQ(got, want);
  kernel->Gemv(std::span(x).first(K), std::span(want).first(M));
  loaded->Gemv(std::span(x).first(K), std::span(got).first(M));
  EXPECT_EQ(got, want);
}

struct Shape {
  size_t m, k;
};

// Ternary and binary matrices of each shape x N = 1, 3, 4, 9 x 1..3 threads
// on every target.
inline void RandomShapesAllTargets(const std::string& kernel_name,
                                   std::initializer_list<Shape> shapes) {
  ForEachTarget([&] {
    for (const Shape& s : shapes) {
      const TernaryMatrix w = RandomTernary(s.m, s.k, s.m * 1000 + s.k);
      const TernaryMatrix wb = RandomBinary(s.m, s.k, s.k);
      for (size_t n : {size_t{1}, size_t{3}, size_t{4}, size_t{9}}) {
        const auto x = RandomActivations(n * s.k, n + s.k);
        const QuantizedActivations xq = QuantizeActivations(x, s.k, n);
        for (int threads : {1, 2, 3}) {
          ExpectMatchesReference(kernel_name, w, xq, threads);
          ExpectMatchesReference(kernel_name, wb, xq, threads);
        }
      }
    }
  });
}

inline QuantizedActivations ConstantActivations(size_t cols, size_t tokens,
                                                int8_t value) {
  QuantizedActivations xq;
  xq.cols = cols;
  xq.tokens = tokens;
  xq.q.assign(cols * tokens, value);
  xq.scale.assign(tokens, 1.0f);
  xq.sum.assign(tokens,
                static_cast<int32_t>(value) * static_cast<int32_t>(cols));
  return xq;
}

// The largest |D| for each sign: every product +-128 * +-1, K up to 65536,
// N = 1 and 5, on every target. With scales 1 the output is D itself
// (|D| <= 2^23 is exact in float).
inline void AccumulatorWorstCases(const std::string& kernel_name) {
  ForEachTarget([&] {
    for (size_t K : {size_t{65536}, size_t{65536 - 1}, size_t{4099}}) {
      for (int8_t wv : {int8_t{1}, int8_t{-1}}) {
        const TernaryMatrix w = ConstantMatrix(5, K, wv);
        const auto kernel = CreateKernel(kernel_name, {.threads = 2});
        kernel->Prepare(w);
        for (int8_t qv : {int8_t{-128}, int8_t{127}}) {
          for (size_t n : {size_t{1}, size_t{5}}) {
            const QuantizedActivations xq = ConstantActivations(K, n, qv);
            std::vector<float> got(n * w.rows());
            kernel->GemmQuantized(xq, got);
            const float want =
                static_cast<float>(wv * qv * static_cast<int64_t>(K));
            for (float v : got)
              ASSERT_EQ(v, want) << "K=" << K << " w=" << int{wv}
                                 << " q=" << int{qv} << " N=" << n;
          }
        }
      }
    }
    // All-ones with q = 127 (the largest positive raw sum of codes).
    const TernaryMatrix w = ConstantMatrix(3, 65536, 1);
    ExpectMatchesReference(kernel_name, w, ConstantActivations(65536, 1, 127),
                           1);
  });
}

}  // namespace rsr::rowpack_test
