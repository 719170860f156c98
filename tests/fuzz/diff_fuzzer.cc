// libFuzzer target: differential check. The input picks a shape, tokens,
// threads, k, weights and activations; every registry kernel on every
// supported target must match the reference (== for int8; for float, the
// worst-case tolerance: fuzzed activations are not random, so the
// probabilistic FloatTolerance does not apply). A mismatch aborts, which
// libFuzzer reports with the input.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "rsr/rsr.h"

namespace {

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  uint8_t Byte() { return i_ < n_ ? d_[i_++] : 0; }
  size_t remaining() const { return n_ - i_; }

 private:
  const uint8_t* d_;
  size_t n_, i_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const size_t m = 1 + in.Byte() % 70;
  const size_t k = 1 + (in.Byte() | (in.Byte() << 8)) % 700;
  const size_t tokens = 1 + in.Byte() % 5;
  const int threads = 1 + in.Byte() % 3;
  const int block_k = in.Byte() % 11;
  std::vector<int8_t> w(m * k);
  for (auto& v : w) v = static_cast<int8_t>(in.Byte() % 3) - 1;
  std::vector<float> x(k * tokens);
  for (auto& v : x) v = (static_cast<int>(in.Byte()) - 128) / 16.0f;
  const rsr::TernaryMatrix wm(m, k, std::move(w), 0.5f);
  const auto xq = rsr::QuantizeActivations(x, k, tokens);
  std::vector<float> ref_i8(m * tokens), ref_f32(m * tokens), y(m * tokens);
  rsr::ReferenceGemmI8(wm, xq, ref_i8);
  rsr::ReferenceGemmF32(wm, x, tokens, ref_f32);
  for (const auto& t : rsr::SupportedTargets()) {
    rsr::SetTargetBits(t.bits);
    for (const auto& name : rsr::KernelNames()) {
      rsr::KernelOptions opt;
      opt.threads = threads;
      opt.k = block_k;
      auto kernel = rsr::CreateKernel(name, opt);
      kernel->Prepare(wm);
      kernel->Gemm(x, tokens, y);
      for (size_t i = 0; i < y.size(); ++i) {
        bool ok;
        if (kernel->activations() == rsr::ActivationType::kInt8) {
          ok = y[i] == ref_i8[i];
        } else {
          double abs_sum = 0;
          for (size_t j = 0; j < k; ++j) abs_sum += std::fabs(x[(i / m) * k + j]);
          ok = std::fabs(static_cast<double>(y[i]) - ref_f32[i]) <=
               rsr::FloatToleranceWorstCase(k, abs_sum, 0.5f);
        }
        if (!ok) {
          std::fprintf(stderr, "mismatch: %s on %s, M=%zu K=%zu N=%zu T=%d k=%d out %zu\n",
                       name.c_str(), t.name.c_str(), m, k, tokens, threads, block_k, i);
          std::abort();
        }
      }
    }
  }
  rsr::SetTargetBits(0);
  return 0;
}
