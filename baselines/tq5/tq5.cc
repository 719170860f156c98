// tq5: TQ5 (5 trits per byte, 1.6 bits/weight) x int8 activations, exact
// int32, Highway dynamic dispatch with OpenMP over output rows. This file is
// the per-target shard (compiles tq5-inl.h once per target), the driver
// (zero-padded activation copy, row chunks over threads) and the kernel
// class. Format: tq5_format.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "baselines/tq5/tq5.cc"
// foreach_target.h must come first (it re-includes this file per target).
// clang-format off
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "baselines/tq5/tq5-inl.h"
// clang-format on

#if HWY_ONCE
#include "baselines/tq5/tq5.h"

#include <string>
#include <utility>

#include "hwy/aligned_allocator.h"
#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"
#include "rsr/error.h"

namespace rsr {
namespace tq5 {
HWY_EXPORT(RowScratchBytes);
HWY_EXPORT(GemmRows);
HWY_EXPORT(GemvRows);

namespace {

// Token stride in the activation buffer: the padded row plus one cache line,
// so that the tokens of a GEMM tile do not all map to the same L1 sets when
// the padded K is a multiple of 4 KiB (as in i2s).
size_t TokenStride(size_t nblocks) { return nblocks * kBlockCodes + 64; }

// Copies each token's q into xs (stride TokenStride), zero past K.
hwy::AlignedFreeUniquePtr<int8_t[]> PadActivations(
    const QuantizedActivations& xq, size_t nblocks, int threads) {
  const size_t stride = TokenStride(nblocks);
  auto xs = hwy::AllocateAligned<int8_t>(xq.tokens * stride);
  if (!xs) throw Error("x", "cannot allocate the activation scratch");
  ParallelFor(xq.tokens, threads, [&](size_t t) {
    int8_t* dst = xs.get() + t * stride;
    std::memcpy(dst, xq.token(t), xq.cols);
    std::memset(dst + xq.cols, 0, stride - xq.cols);
  });
  return xs;
}

// Per-thread scratch for the targets that decode rows first (none on
// AVX3_DL): one buffer of RowScratchBytes per part of ParallelChunks.
hwy::AlignedFreeUniquePtr<uint8_t[]> RowScratch(size_t row_bytes,
                                                size_t parts) {
  const size_t bytes = HWY_DYNAMIC_DISPATCH(RowScratchBytes)(row_bytes);
  if (bytes == 0) return nullptr;
  auto s = hwy::AllocateAligned<uint8_t>(bytes * parts);
  if (!s) throw Error("x", "cannot allocate the row decode scratch");
  return s;
}

constexpr size_t kRowAlign = 16;  // threads never share a 64-byte line of y

}  // namespace

void GemmI8(const Weights& w, float w_scale, const QuantizedActivations& xq,
            float* y, int threads) {
  HWY_DASSERT(w.rows != 0 && xq.cols == w.cols && xq.tokens >= 1);
  const size_t nblocks = w.row_bytes / kBlockBytes;
  const auto xs = PadActivations(xq, nblocks, threads);
  const size_t parts = ChunkParts(w.rows, threads, kRowAlign);
  const auto scratch = RowScratch(w.row_bytes, parts);
  const size_t scratch_bytes =
      HWY_DYNAMIC_DISPATCH(RowScratchBytes)(w.row_bytes);
  ParallelChunks(
      w.rows, threads, kRowAlign, [&](size_t r0, size_t r1, size_t part) {
        HWY_DYNAMIC_DISPATCH(GemmRows)
        (w.bytes.data(), w.layout(), xs.get(), TokenStride(nblocks), xq.tokens,
         xq.sum.data(), xq.scale.data(), w_scale, y, r0, r1,
         scratch ? scratch.get() + part * scratch_bytes : nullptr);
      });
}

void GemvI8(const Weights& w, float w_scale, const QuantizedActivations& xq,
            float* y, int threads) {
  HWY_DASSERT(w.rows != 0 && xq.cols == w.cols && xq.tokens == 1);
  const size_t nblocks = w.row_bytes / kBlockBytes;
  const auto xs = PadActivations(xq, nblocks, 1);
  const size_t parts = ChunkParts(w.rows, threads, kRowAlign);
  const auto scratch = RowScratch(w.row_bytes, parts);
  const size_t scratch_bytes =
      HWY_DYNAMIC_DISPATCH(RowScratchBytes)(w.row_bytes);
  ParallelChunks(
      w.rows, threads, kRowAlign, [&](size_t r0, size_t r1, size_t part) {
        HWY_DYNAMIC_DISPATCH(GemvRows)
        (w.bytes.data(), w.layout(), xs.get(), xq.sum[0], xq.scale[0], w_scale,
         y, r0, r1, scratch ? scratch.get() + part * scratch_bytes : nullptr);
      });
}

}  // namespace tq5

std::unique_ptr<Kernel> MakeTq5(const KernelOptions& o) {
  return std::make_unique<
      rowpack::PackedKernel<tq5::Format, &tq5::GemvI8, &tq5::GemmI8>>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
