#include "harness/slowed_kernel.h"

#include <span>
#include <string>
#include <utility>

#include "rsr/error.h"

namespace rsr::harness {
namespace {

// Options of the wrapper itself: the float path, so that Kernel::Gemm hands
// GemmF32 the caller's activations unchanged and inner quantizes them itself
// on every repeat. (The wrapper's own finiteness scan of x adds N*K compares
// per call, noise next to a repeated multiply.)
KernelOptions WrapperOptions(const Kernel& inner) {
  KernelOptions o = inner.options();
  o.activations = ActivationType::kFloat32;
  return o;
}

class SlowedKernel final : public Kernel {
 public:
  SlowedKernel(std::unique_ptr<Kernel> inner, int extra_calls)
      : Kernel(WrapperOptions(*inner)),
        inner_(std::move(inner)),
        calls_(1 + extra_calls) {}

  std::string Name() const override { return inner_->Name(); }
  KernelCaps Caps() const override { return inner_->Caps(); }
  size_t PreparedBytes() const override { return inner_->PreparedBytes(); }
  size_t PrepareBytesBound(size_t rows, size_t cols) const override {
    return inner_->PrepareBytesBound(rows, cols);
  }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override { inner_->Prepare(w); }
  void GemmF32(const float* x, size_t tokens, float* y) const override {
    const std::span<const float> xs(x, tokens * cols());
    const std::span<float> ys(y, tokens * rows());
    for (int i = 0; i < calls_; ++i) inner_->Gemm(xs, tokens, ys);
  }

 private:
  std::unique_ptr<Kernel> inner_;
  int calls_;
};

}  // namespace

std::unique_ptr<Kernel> MakeSlowedKernel(std::unique_ptr<Kernel> inner,
                                         int extra_calls) {
  if (!inner) throw Error("kernel", "MakeSlowedKernel: no kernel to wrap");
  if (extra_calls < 0) throw Error("slowdown", "must be >= 0");
  return std::make_unique<SlowedKernel>(std::move(inner), extra_calls);
}

}  // namespace rsr::harness
