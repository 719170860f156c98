// dense-f32: Highway SIMD float GEMV/GEMM with OpenMP, the strong float
// baseline a user would otherwise reach for. Weights are stored as float
// (32 bits/weight), each row zero-padded to a whole number of vectors.
//
// Tiling: 4 rows at a time share each activation load and give 4 independent
// FMA chains (one chain per row is latency-bound: 4-cycle FMA latency vs.
// 2 FMAs/cycle issue). Tokens are the outer loop inside a row tile, so the
// tile's rows stay in L1/L2 across tokens; several tokens share each weight
// load in a register tile (TileDots).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "baselines/dense/dense_f32.cc"
#include <algorithm>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/core/aligned.h"
#include "kernels/core/parallel.h"
#include "kernels/core/prefetch.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Tokens per register tile (GEMM): 4 rows x kTile tokens of accumulators
// plus 4 weight and kTile activation vectors: 24 registers at 4 (targets
// with 32), 14 at 2 (16-register targets).
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || HWY_ARCH_ARM
constexpr size_t kTile = 4;
#else
constexpr size_t kTile = 2;
#endif

// Register tile (GEMM, N >= kTile): 4 rows x kTile tokens, 4 kTile FMAs per
// 4 + kTile loads, so the loop is bound by the FMA ports, not by loads (the
// 4-row GEMV loop does 4 FMAs per 5 loads). Named locals via macros: SVE
// vectors cannot be array elements. Returns the rows' partial dots in s.
#define RSR_DENSE_ROWS(X) X(0) X(1) X(2) X(3)
template <size_t T>
HWY_INLINE void TileDots(const float* const* wr, const float* const* xt,
                         size_t k_vec, float s[4][4]) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
#define RSR_ZERO(i) \
  auto a##i##0 = hn::Zero(d), a##i##1 = hn::Zero(d), a##i##2 = hn::Zero(d), \
       a##i##3 = hn::Zero(d);
  RSR_DENSE_ROWS(RSR_ZERO)
  for (size_t k = 0; k < k_vec; k += N) {
    const auto x0 = hn::LoadU(d, xt[0] + k);
    const auto x1 = hn::LoadU(d, xt[1] + k);
    auto x2 = x1, x3 = x1;
    if constexpr (T == 4) {
      x2 = hn::LoadU(d, xt[2] + k);
      x3 = hn::LoadU(d, xt[3] + k);
    }
#define RSR_FMA(i)                           \
  {                                          \
    const auto wv = hn::Load(d, wr[i] + k);  \
    a##i##0 = hn::MulAdd(wv, x0, a##i##0);   \
    a##i##1 = hn::MulAdd(wv, x1, a##i##1);   \
    if constexpr (T == 4) {                  \
      a##i##2 = hn::MulAdd(wv, x2, a##i##2); \
      a##i##3 = hn::MulAdd(wv, x3, a##i##3); \
    }                                        \
  }
    RSR_DENSE_ROWS(RSR_FMA)
  }
#define RSR_SUMS(i)                                \
  s[i][0] = hn::GetLane(hn::SumOfLanes(d, a##i##0)); \
  s[i][1] = hn::GetLane(hn::SumOfLanes(d, a##i##1)); \
  s[i][2] = hn::GetLane(hn::SumOfLanes(d, a##i##2)); \
  s[i][3] = hn::GetLane(hn::SumOfLanes(d, a##i##3));
  RSR_DENSE_ROWS(RSR_SUMS)
#undef RSR_ZERO
#undef RSR_FMA
#undef RSR_SUMS
}
#undef RSR_DENSE_ROWS

// The columns [k_vec, K) past the last whole vector, in scalar.
HWY_INLINE float TailDot(const float* w, const float* x, size_t k_vec,
                         size_t K) {
  float s = 0.0f;
  for (size_t k = k_vec; k < K; ++k) s += w[k] * x[k];
  return s;
}

// Rows [r0, r1) for all tokens. w has row stride `stride` (>= K, multiple of
// the widest vector, zero-padded). x is tokens x K, y is tokens x M.
void DenseF32Rows(const float* HWY_RESTRICT w, size_t stride, size_t M,
                  size_t K, const float* HWY_RESTRICT x, size_t tokens,
                  float scale, float* HWY_RESTRICT y, size_t r0, size_t r1) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const size_t k_vec = K / N * N;
  // One 4 KiB page ahead on each row stream, into L2 (the hardware
  // prefetchers stop at page boundaries; see kernels/core/prefetch.h). AVX3_DL,
  // 1 thread, idle, min ms without -> with: 2560^2 0.63-0.72 -> 0.53-0.57,
  // 8192^2 10.26-10.31 -> 9.94-10.14, 16384^2 37.6-38.6 -> 39.0-39.4 (1 GiB
  // from DRAM: within 3%, kept for the gains from cache).
  constexpr size_t kAhead = kPageBytes / sizeof(float);
  // Row tile at r: 4 row pointers (a short tile repeats its first row).
  auto tile_rows = [&](size_t r, const float* rows[4]) {
    const size_t nr = std::min<size_t>(4, r1 - r);
    for (size_t i = 0; i < 4; ++i) rows[i] = w + (r + (i < nr ? i : 0)) * stride;
    return nr;
  };
  // GEMM register tiles: blocks of rows (about 128 KiB of weights, kept in
  // L2) x token tiles x row tiles, so a token tile's activations stay in L1
  // across the block. (Rows outermost re-read every token's activations once
  // per row tile: 6912x2560, N = 128 took 66 ms instead of 52 under load.)
  const size_t tiled = tokens / kTile * kTile;
  const size_t block = std::max<size_t>(
      4, (size_t{128} << 10) / (stride * sizeof(float)) / 4 * 4);
  for (size_t rb = r0; rb < r1; rb += block) {
    const size_t rb_end = std::min(r1, rb + block);
    for (size_t t = 0; t < tiled; t += kTile) {
      const float* xt[4];
      for (size_t j = 0; j < 4; ++j)
        xt[j] = x + (t + std::min(j, kTile - 1)) * K;
      for (size_t r = rb; r < rb_end; r += 4) {
        const float* rows[4];
        const size_t nr = std::min(tile_rows(r, rows), rb_end - r);
        float s[4][4];
        TileDots<kTile>(rows, xt, k_vec, s);
        for (size_t i = 0; i < nr; ++i)
          for (size_t j = 0; j < kTile; ++j) {
            s[i][j] += TailDot(rows[i], xt[j], k_vec, K);
            y[(t + j) * M + r + i] = s[i][j] * scale;
          }
      }
    }
  }
  // GEMV and the tokens past the last whole tile: 4 rows x 1 token.
  for (size_t r = r0; r < r1; r += 4) {
    const float* rows[4];
    const size_t nr = tile_rows(r, rows);
    const float *w0 = rows[0], *w1 = rows[1], *w2 = rows[2], *w3 = rows[3];
    size_t t = tiled;
    for (; t < tokens; ++t) {
      const float* xt = x + t * K;
      auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d),
           a3 = hn::Zero(d);
      for (size_t k = 0; k < k_vec; k += N) {
        if (k + kAhead < k_vec) {
          PrefetchL2(w0 + k + kAhead);
          PrefetchL2(w1 + k + kAhead);
          PrefetchL2(w2 + k + kAhead);
          PrefetchL2(w3 + k + kAhead);
        }
        const auto xv = hn::LoadU(d, xt + k);
        a0 = hn::MulAdd(hn::Load(d, w0 + k), xv, a0);
        a1 = hn::MulAdd(hn::Load(d, w1 + k), xv, a1);
        a2 = hn::MulAdd(hn::Load(d, w2 + k), xv, a2);
        a3 = hn::MulAdd(hn::Load(d, w3 + k), xv, a3);
      }
      float s[4] = {hn::GetLane(hn::SumOfLanes(d, a0)),
                    hn::GetLane(hn::SumOfLanes(d, a1)),
                    hn::GetLane(hn::SumOfLanes(d, a2)),
                    hn::GetLane(hn::SumOfLanes(d, a3))};
      for (size_t i = 0; i < nr; ++i) {
        s[i] += TailDot(rows[i], xt, k_vec, K);
        y[t * M + r + i] = s[i] * scale;
      }
    }
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "baselines/dense/dense.h"
#include "kernels/core/bytes.h"

namespace rsr {
HWY_EXPORT(DenseF32Rows);

namespace {

constexpr size_t kRowAlign = 64 / sizeof(float);  // pad rows to 64 bytes

class DenseF32 final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return "dense-f32"; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.float_activations = true;
    c.native_gemm = true;
    c.simd = true;
    return c;
  }
  size_t PreparedBytes() const override { return w_.bytes(); }
  size_t PrepareBytesBound(size_t rows, size_t cols) const override {
    return rows * RowStride(cols) * sizeof(float) + (64u << 10);
  }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override {
    stride_ = RowStride(w.cols());
    w_.Resize(w.rows() * stride_);
    for (size_t r = 0; r < w.rows(); ++r)
      for (size_t c = 0; c < w.cols(); ++c) w_[r * stride_ + c] = w.at(r, c);
  }
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override { out.PutArray(w_); }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    const size_t stride = RowStride(cols);
    AlignedBuffer<float> w;
    in.GetArray(w, rows * stride, "weights");
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < stride; ++c) {
        const float v = w[r * stride + c];
        if (!(v == 0.0f || ((v == 1.0f || v == -1.0f) && c < cols)))
          throw Error("file", "weight outside {-1,0,+1} or nonzero padding");
      }
    w_ = std::move(w);
    stride_ = stride;
  }
  void GemmF32(const float* x, size_t tokens, float* y) const override {
    ParallelChunks(rows(), threads(), 16, [&](size_t r0, size_t r1) {
      HWY_DYNAMIC_DISPATCH(DenseF32Rows)
      (w_.data(), stride_, rows(), cols(), x, tokens, weight_scale(), y, r0,
       r1);
    });
  }

 private:
  static size_t RowStride(size_t cols) {
    return (cols + kRowAlign - 1) / kRowAlign * kRowAlign;
  }
  AlignedBuffer<float> w_;
  size_t stride_ = 0;  // floats per row: K rounded up to kRowAlign
};

}  // namespace

std::unique_ptr<Kernel> MakeDenseF32(const KernelOptions& o) {
  return std::make_unique<DenseF32>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
