// KernelTester: runs one registry kernel on one problem and compares with the
// reference (XNNPACK-style tester). Int8 paths must match ReferenceGemmI8
// exactly (==); float paths must lie within FloatTolerance of
// ReferenceGemmF32, and match exactly when activations sit on a 1/8 grid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rsr/rsr.h"

namespace rsr::testing {

// A gtest parameter name from free text ("rsrpp-simd_AVX3_DL" ->
// "rsrpp_simd_AVX3_DL"): every non-alphanumeric character becomes '_'.
std::string TestName(std::string text);

// kHalfZero: the first half of the rows zero, the rest random ternary (an
// RSR index then mixes blocks with one K-column bucket and short buckets).
enum class Weights { kTernary, kBinary, kAllPlus, kAllMinus, kAllZero, kSparse, kHalfZero };
// kInt8Min: every int8 activation -128, which QuantizeActivations never
// produces: the int8 path runs through GemmQuantized on hand-made values
// (int8 activations only).
enum class Inputs { kUniform, kGrid, kAllMax, kAllMin, kZero, kOutlier, kInt8Min };

class KernelTester {
 public:
  KernelTester& Kernel(std::string name) { kernel_ = std::move(name); return *this; }
  KernelTester& Shape(size_t m, size_t k) { m_ = m; k_ = k; return *this; }
  KernelTester& Tokens(size_t n) { tokens_ = n; return *this; }
  KernelTester& Threads(int t) { threads_ = t; return *this; }
  KernelTester& BlockK(int k) { block_k_ = k; return *this; }
  KernelTester& Act(ActivationType a) { act_ = a; return *this; }
  KernelTester& WeightKind(Weights w) { weights_ = w; return *this; }
  KernelTester& InputKind(Inputs i) { inputs_ = i; return *this; }
  KernelTester& Seed(uint64_t s) { seed_ = s; return *this; }

  // Runs the case; adds gtest failures naming the case and seed.
  void Test() const;
  std::string Describe() const;

 private:
  TernaryMatrix MakeWeights() const;
  std::vector<float> MakeInputs() const;

  std::string kernel_;
  size_t m_ = 1, k_ = 1, tokens_ = 1;
  int threads_ = 1, block_k_ = 0;
  ActivationType act_ = ActivationType::kInt8;
  Weights weights_ = Weights::kTernary;
  Inputs inputs_ = Inputs::kUniform;
  uint64_t seed_ = 1;
};

// Activation types the kernel supports.
std::vector<ActivationType> SupportedActivations(const std::string& kernel);

}  // namespace rsr::testing
