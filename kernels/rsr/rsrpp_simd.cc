// rsrpp-simd: RSR++ with Highway SIMD (dynamic dispatch) and OpenMP over row
// blocks (docs/algorithms.md §1-4; rsr.h for the family). This file is the
// per-target shard: it compiles the GEMV and GEMM bodies (rsrpp_gemv-inl.h,
// rsrpp_gemm-inl.h) once per target, exports their entry points, and holds
// the kernel class. The index: rsr_index.h; the block-height rule:
// block_height.cc.
//
// Index: one pass for ternary, base-3 column codes c = sum_t (w+1) 3^(k-1-t)
// (3^k buckets, one permutation per block); binary {0,1} matrices use 2^k
// bit codes. The paper's LSB-first fold order (rsrpp) gives the same sums as
// the MSB-first order used here.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/rsr/rsrpp_simd.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/rsr/rsrpp_gemm-inl.h"
#include "kernels/rsr/rsrpp_gemm_i8-inl.h"
#include "kernels/rsr/rsrpp_gemv-inl.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
using rsr_index::Index;

void RsrGemvI8(const Index& ix, const int8_t* q, int threads, float act_scale,
               float w_scale, float* y) {
  GemvT(ix, q, threads, act_scale, w_scale, y);
}

void RsrGemvF32(const Index& ix, const float* x, int threads, float w_scale,
                float* y) {
  GemvT(ix, x, threads, 1.0f, w_scale, y);
}

void RsrGemmI8(const rsr_index::PaddedIndex& px, const int8_t* q,
                     size_t tokens, int threads, const float* act_scale,
                     float w_scale, float* y) {
  gemm_i8::GemmI8Dispatch(px, q, tokens, threads, act_scale, w_scale, y);
}

void RsrGemmF32(const Index& ix, const float* x, size_t tokens, int threads,
                float w_scale, float* y) {
  GemmDispatch<float>(ix, x, tokens, threads, nullptr, w_scale, y);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>
#include <utility>

#include "kernels/core/bytes.h"
#include "kernels/rsr/rsr.h"
#include "rsr/error.h"

namespace rsr {
HWY_EXPORT(RsrGemvI8);
HWY_EXPORT(RsrGemvF32);
HWY_EXPORT(RsrGemmI8);
HWY_EXPORT(RsrGemmF32);

namespace {

using rsr_index::CodeForm;

class RsrppSimd final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return "rsrpp-simd"; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.int8_activations = true;
    c.float_activations = true;
    c.block_k = true;
    c.native_gemm = true;
    c.simd = true;
    return c;
  }
  size_t PreparedBytes() const override { return ix_.Bytes() + px_.Bytes(); }
  // GEMV and the float GEMM run on the index, the int8 GEMM (N >= 2) on the
  // padded index at its own k.
  int BlockK(size_t tokens) const override {
    return tokens >= 2 && activations() == ActivationType::kInt8 ? px_.k
                                                                  : ix_.k;
  }
  // The larger of the ternary (base-3) and binary case: the index, then the
  // larger of Build's per-thread codes and counts (freed when Build returns)
  // and the padded index Pad derives from it.
  size_t PrepareBytesBound(size_t rows, size_t cols) const override {
    size_t bound = 0;
    for (const CodeForm form : {CodeForm::kBase3, CodeForm::kBinary}) {
      const bool binary = form == CodeForm::kBinary;
      const int k = BlockHeight(cols, binary);
      if (k > rsr_index::MaxK(form)) continue;  // Prepare refuses it
      const int kg = GemmBlockHeight(cols, binary);
      const auto build_scratch = [&](int kk) {
        return static_cast<size_t>(threads()) *
               (4 * cols + 8 * (rsr_index::NumBuckets(form, kk) + 1));
      };
      const size_t padded = rsr_index::PaddedBytesBound(rows, cols, kg, form);
      // kg != k: a second index at kg, padded, then freed.
      const size_t gemm =
          kg == k ? padded
                  : rsr_index::IndexBytes(rows, cols, kg, form) +
                        std::max(build_scratch(kg), padded);
      bound = std::max(bound, rsr_index::IndexBytes(rows, cols, k, form) +
                                  std::max(build_scratch(k), gemm));
    }
    return bound + (64u << 10);
  }

 protected:
  // Payload: the index (rsr_index::Save); its code form says binary or
  // ternary. The padded index the int8 Gemm runs on (at its own k) is derived
  // at Prepare and Load (GemmIndex), so the file format is unchanged.
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override { rsr_index::Save(out, ix_); }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    rsr_index::Index ix =
        rsr_index::Load(in, rows, cols, options().k, "rsrpp-simd index");
    // Prepare picks base-3 only for a matrix with a -1 weight (trit 0);
    // padding rows are trit 1 (ValidateCanonical), so any trit 0 is real.
    if (ix.form == CodeForm::kBase3 && !rsr_index::HasMinusOne(ix))
      throw Error("file",
                  "rsrpp-simd: base-3 index without a -1 weight "
                  "(binary matrices use the binary code)");
    ix_ = std::move(ix);
    px_ = GemmIndex(nullptr);
  }

  int BlockHeight(size_t cols, bool binary) const {
    return options().k != 0 ? options().k : RsrppSimdDefaultK(cols, binary);
  }
  // The int8 GEMM's block height (its own rule, block_height.cc), unless the
  // caller chose k.
  int GemmBlockHeight(size_t cols, bool binary) const {
    return options().k != 0 ? options().k : RsrppSimdGemmK(cols, binary);
  }

  // The padded index for the int8 GEMM, from ix_ when the GEMM k is the same,
  // else from a second index at the GEMM k, built from w (Prepare) or
  // rebuilt from ix_ (Load), then freed.
  rsr_index::PaddedIndex GemmIndex(const TernaryMatrix* w) const {
    const bool binary = ix_.form == CodeForm::kBinary;
    const int kg = GemmBlockHeight(ix_.cols, binary);
    if (kg == ix_.k) return rsr_index::Pad(ix_, threads());
    const rsr_index::Index gemm_ix =
        w != nullptr ? rsr_index::Build(*w, kg, ix_.form, +1, threads())
                     : rsr_index::Rebuild(ix_, kg, threads());
    return rsr_index::Pad(gemm_ix, threads());
  }

  void PrepareImpl(const TernaryMatrix& w) override {
    const bool binary = w.IsBinary();
    const int k = BlockHeight(w.cols(), binary);
    ix_ = rsr_index::Build(w, k, binary ? CodeForm::kBinary : CodeForm::kBase3,
                           +1, threads());
    px_ = GemmIndex(&w);
  }

  void GemvI8(const QuantizedActivations& xq, float* y) const override {
    HWY_DYNAMIC_DISPATCH(RsrGemvI8)
    (ix_, xq.q.data(), threads(), xq.scale[0], weight_scale(), y);
  }
  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    HWY_DYNAMIC_DISPATCH(RsrGemmI8)
    (px_, xq.q.data(), xq.tokens, threads(), xq.scale.data(), weight_scale(),
     y);
  }
  void GemvF32(const float* x, float* y) const override {
    HWY_DYNAMIC_DISPATCH(RsrGemvF32)(ix_, x, threads(), weight_scale(), y);
  }
  void GemmF32(const float* x, size_t tokens, float* y) const override {
    HWY_DYNAMIC_DISPATCH(RsrGemmF32)
    (ix_, x, tokens, threads(), weight_scale(), y);
  }

 private:
  rsr_index::Index ix_;
  rsr_index::PaddedIndex px_;
};

}  // namespace

std::unique_ptr<Kernel> MakeRsrppSimd(const KernelOptions& o) {
  return std::make_unique<RsrppSimd>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
