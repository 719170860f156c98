// i2s: I2_S (2 bits/weight) x int8 activations, exact int32, Highway dynamic
// dispatch with OpenMP over output rows. This file is the per-target shard
// (compiles i2s-inl.h once per target), the driver (activation re-layout,
// row chunks over threads) and the kernel class. Format: i2s_format.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "baselines/i2s/i2s.cc"
// foreach_target.h must come first (it re-includes this file per target).
// clang-format off
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "baselines/i2s/i2s-inl.h"
// clang-format on

#if HWY_ONCE
#include <string>
#include <utility>

#include "baselines/i2s/i2s.h"
#include "hwy/aligned_allocator.h"
#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"
#include "rsr/error.h"

namespace rsr {
namespace i2s {
HWY_EXPORT(ChunkBytes);
HWY_EXPORT(GemmRows);
HWY_EXPORT(GemvRows);

namespace {

// Scratch layout for chunk width C (see the top of i2s-inl.h): packed byte b
// of a row (block b / 32, byte j = b % 32) holds the codes of columns
// 128 (b / 32) + 32 g + j, g = 0..3; its activation for shift group g goes to
// out[4 C (b / C) + C g + b % C]. Columns >= K and bytes past the row are 0.
void ReorderActivations(const int8_t* q, size_t K, size_t C, size_t nchunks,
                        int8_t* out) {
  const size_t total = nchunks * C;
  for (size_t b = 0; b < total;) {
    const size_t seg = std::min(kBlockBytes - b % kBlockBytes, C - b % C);
    for (size_t g = 0; g < 4; ++g) {
      int8_t* dst = out + 4 * C * (b / C) + C * g + b % C;
      const size_t k =
          (b / kBlockBytes) * kBlockCodes + kBlockBytes * g + b % kBlockBytes;
      const size_t n = k < K ? std::min(seg, K - k) : 0;
      if (n) std::memcpy(dst, q + k, n);
      if (n < seg) std::memset(dst + n, 0, seg - n);
    }
    b += seg;
  }
}

}  // namespace

namespace {

// The scratch row stride for chunk width C: one extra cache line per token,
// because with a power-of-two stride (K = 4096: 4096 bytes) the tokens of a
// GEMM tile all map to the same L1 sets; at N = 32 this made a 4096^2 GEMM 3x
// slower per token than at N = 4.
size_t ScratchStride(size_t C, size_t nchunks) { return 4 * C * nchunks + 64; }

}  // namespace

void GemmI8(const Weights& w, float w_scale, const QuantizedActivations& xq,
            float* y, int threads) {
  HWY_DASSERT(w.rows != 0 && xq.cols == w.cols && xq.tokens >= 1);
  const size_t C = HWY_DYNAMIC_DISPATCH(ChunkBytes)();
  const size_t nchunks = (w.row_bytes + C - 1) / C;
  HWY_DASSERT(nchunks * C - w.row_bytes <= kReadSlack);
  const size_t xstride = ScratchStride(C, nchunks);
  auto xs = hwy::AllocateAligned<int8_t>(xq.tokens * xstride);
  if (!xs) throw Error("x", "cannot allocate the activation scratch");
  ParallelFor(xq.tokens, threads, [&](size_t t) {
    ReorderActivations(xq.token(t), xq.cols, C, nchunks,
                       xs.get() + t * xstride);
  });
  // Chunks of 16 rows: threads never share a 64-byte line of a y row.
  ParallelChunks(w.rows, threads, 16, [&](size_t r0, size_t r1) {
    HWY_DYNAMIC_DISPATCH(GemmRows)
    (w.bytes.data(), w.layout(), xs.get(), xstride, xq.tokens, xq.sum.data(),
     xq.scale.data(), w_scale, y, r0, r1);
  });
}

void GemvI8(const Weights& w, float w_scale, const QuantizedActivations& xq,
            float* y, int threads) {
  HWY_DASSERT(w.rows != 0 && xq.cols == w.cols && xq.tokens == 1);
  const size_t C = HWY_DYNAMIC_DISPATCH(ChunkBytes)();
  const size_t nchunks = (w.row_bytes + C - 1) / C;
  auto xs = hwy::AllocateAligned<int8_t>(ScratchStride(C, nchunks));
  if (!xs) throw Error("x", "cannot allocate the activation scratch");
  ReorderActivations(xq.token(0), xq.cols, C, nchunks, xs.get());
  ParallelChunks(w.rows, threads, 16, [&](size_t r0, size_t r1) {
    HWY_DYNAMIC_DISPATCH(GemvRows)
    (w.bytes.data(), w.layout(), xs.get(), xq.sum[0], xq.scale[0], w_scale, y,
     r0, r1);
  });
}

}  // namespace i2s

std::unique_ptr<Kernel> MakeI2s(const KernelOptions& o) {
  return std::make_unique<
      rowpack::PackedKernel<i2s::Format, &i2s::GemvI8, &i2s::GemmI8>>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
