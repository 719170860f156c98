#include "tests/kernel_tester.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <random>
#include <sstream>

namespace rsr::testing {

std::vector<ActivationType> SupportedActivations(const std::string& kernel) {
  const KernelCaps caps = CreateKernel(kernel)->Caps();
  std::vector<ActivationType> out;
  if (caps.int8_activations) out.push_back(ActivationType::kInt8);
  if (caps.float_activations) out.push_back(ActivationType::kFloat32);
  return out;
}

std::string KernelTester::Describe() const {
  std::ostringstream s;
  s << kernel_ << " target=" << CurrentTargetName() << " M=" << m_
    << " K=" << k_ << " tokens=" << tokens_ << " threads=" << threads_
    << " k=" << block_k_ << " act=" << ActivationTypeName(act_)
    << " weights=" << static_cast<int>(weights_)
    << " inputs=" << static_cast<int>(inputs_) << " seed=" << seed_;
  return s.str();
}

TernaryMatrix KernelTester::MakeWeights() const {
  const float scale = 0.75f;
  switch (weights_) {
    case Weights::kTernary:
      return RandomTernary(m_, k_, seed_, 1.0 / 3, scale);
    case Weights::kSparse:
      return RandomTernary(m_, k_, seed_, 0.9, scale);
    case Weights::kBinary:
      return RandomBinary(m_, k_, seed_, 0.5, scale);
    case Weights::kAllPlus:
      return ConstantMatrix(m_, k_, 1, scale);
    case Weights::kAllMinus:
      return ConstantMatrix(m_, k_, -1, scale);
    case Weights::kAllZero:
      return ConstantMatrix(m_, k_, 0, scale);
    case Weights::kHalfZero: {
      const TernaryMatrix r = RandomTernary(m_, k_, seed_, 1.0 / 3, scale);
      std::vector<int8_t> v(m_ * k_, 0);
      for (size_t i = m_ / 2; i < m_; ++i)
        for (size_t j = 0; j < k_; ++j) v[i * k_ + j] = r.at(i, j);
      return TernaryMatrix(m_, k_, std::move(v), scale);
    }
  }
  return {};
}

std::vector<float> KernelTester::MakeInputs() const {
  const size_t n = k_ * tokens_;
  std::vector<float> x;
  switch (inputs_) {
    case Inputs::kUniform:
      return RandomActivations(n, seed_ + 7, -2.0f, 2.0f);
    case Inputs::kGrid: {
      // Multiples of 1/8 in [-4, 4]: every partial sum is exact in float.
      std::mt19937_64 rng(seed_ + 7);
      std::uniform_int_distribution<int> d(-32, 32);
      x.resize(n);
      for (auto& e : x) e = d(rng) / 8.0f;
      return x;
    }
    case Inputs::kAllMax:
      return std::vector<float>(n, 3.0f);  // q = +127
    case Inputs::kAllMin:
    case Inputs::kInt8Min:  // float path; the int8 path uses q = -128
      return std::vector<float>(n, -3.0f);  // q = -127
    case Inputs::kZero:
      return std::vector<float>(n, 0.0f);  // amax floor
    case Inputs::kOutlier: {
      x = RandomActivations(n, seed_ + 7, -0.01f, 0.01f);
      for (size_t t = 0; t < tokens_; ++t) x[t * k_ + (t * 7919) % k_] = 50.0f;
      return x;
    }
  }
  return x;
}

void KernelTester::Test() const {
  SCOPED_TRACE(Describe());
  KernelOptions opt;
  opt.threads = threads_;
  opt.k = block_k_;
  opt.activations = act_;
  auto kernel = CreateKernel(kernel_, opt);
  const TernaryMatrix w = MakeWeights();
  const std::vector<float> x = MakeInputs();
  kernel->Prepare(w);
  ASSERT_EQ(kernel->rows(), m_);
  ASSERT_GT(kernel->PreparedBytes(), 0u);
  std::vector<float> y(m_ * tokens_, std::nanf(""));
  if (inputs_ == Inputs::kInt8Min && act_ == ActivationType::kInt8) {
    QuantizedActivations xq;
    xq.cols = k_;
    xq.tokens = tokens_;
    xq.q.assign(k_ * tokens_, int8_t{-128});
    xq.scale.assign(tokens_, 1.0f);
    xq.sum.assign(tokens_, -128 * static_cast<int32_t>(k_));
    kernel->GemmQuantized(xq, y);
    std::vector<float> ref(y.size());
    ReferenceGemmI8(w, xq, ref);
    EXPECT_EQ(y, ref) << "int8 -128 activations";
    return;
  }
  kernel->Gemm(x, tokens_, y);
  // Activations on a 1/8 grid make every float path exact.
  const ReferenceCheck check = CheckAgainstReference(
      w, x, tokens_, act_, y, /*exact_float=*/inputs_ == Inputs::kGrid);
  for (const auto& miss : check.first)
    ADD_FAILURE() << "token " << miss.token << " row " << miss.row << ": got "
                  << miss.got << " want " << miss.want << " tol "
                  << miss.tolerance;
  EXPECT_EQ(check.mismatches, 0u) << "outputs out of contract";
  // A second call on the same prepared kernel gives the same answer.
  std::vector<float> y2(y.size());
  kernel->Gemm(x, tokens_, y2);
  EXPECT_TRUE(std::equal(y.begin(), y.end(), y2.begin(), [](float a, float b) {
    return a == b || (a != a && b != b);
  })) << "repeated call differs";
}

std::string TestName(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return text;
}

}  // namespace rsr::testing
