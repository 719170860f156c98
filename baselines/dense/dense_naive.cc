// dense-naive: the row-major scalar float loop a careful programmer writes
// without SIMD. Weights kept as int8 (8 bits/weight); one float accumulator
// per output, so the compiler cannot reorder the sum into vectors (no
// -ffast-math), which makes this the honest "no SIMD" baseline.
#include <memory>

#include "baselines/dense/dense.h"
#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"

namespace rsr {
namespace {

class DenseNaive final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return "dense-naive"; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.float_activations = true;
    return c;
  }
  size_t PreparedBytes() const override { return w_.size(); }
  size_t PrepareBytesBound(size_t rows, size_t cols) const override {
    return rows * cols + (64u << 10);
  }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override {
    w_.assign(w.values().begin(), w.values().end());
  }
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override { out.PutArray(w_); }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    std::vector<int8_t> w;
    in.GetArray(w, rows * cols, "weights");
    for (int8_t v : w)
      if (v < -1 || v > 1) throw Error("file", "weight outside {-1,0,+1}");
    w_ = std::move(w);
  }
  void GemmF32(const float* x, size_t tokens, float* y) const override {
    const float scale = weight_scale();
    const size_t M = rows(), K = cols();
    ParallelFor(M, threads(), [&](size_t r) {
      const int8_t* wr = w_.data() + r * K;
      for (size_t t = 0; t < tokens; ++t) {
        const float* xt = x + t * K;
        float acc = 0.0f;
        for (size_t k = 0; k < K; ++k) acc += static_cast<float>(wr[k]) * xt[k];
        y[t * M + r] = acc * scale;
      }
    });
  }

 private:
  std::vector<int8_t> w_;
};

}  // namespace

std::unique_ptr<Kernel> MakeDenseNaive(const KernelOptions& o) {
  return std::make_unique<DenseNaive>(o);
}

}  // namespace rsr
