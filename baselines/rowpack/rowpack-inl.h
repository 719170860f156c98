// The per-target tiling driver the row-packed kernels (i2s, tq5) share:
// included once per Highway target by their -inl.h files (through
// foreach_target.h in i2s.cc and tq5.cc).
//
// TiledRows walks rows [r0, r1) x all tokens in R x T tiles; a partial tile
// repeats its last row / token and discards the copies. Loop order: a block
// of rows (about 128 KiB of weights, stays in L2) x token tiles x rows in the
// block, so a token tile's activations (T * K bytes) are reused from L1/L2
// across the block instead of streaming once per row (i2s at N = 32, K =
// 4096: streaming them per row was 3x slower per token than N = 4). The
// method's tile body is Tile::Dots<R, T>(rows, next, toks, row_bytes, raw):
// raw[i][j] = sum over the row of codes(rows[i]) * toks[j] (the method's
// activation layout), next[i] = the next tile's rows, for prefetching.

#if defined(RSR_BASELINES_ROWPACK_ROWPACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_BASELINES_ROWPACK_ROWPACK_INL_H_
#undef RSR_BASELINES_ROWPACK_ROWPACK_INL_H_
#else
#define RSR_BASELINES_ROWPACK_ROWPACK_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "rsr/quant.h"

// Highway 1.0.3's AVX3_DL attribute lacks avx512vnni (docs/toolchain.md);
// every function on a vpdpbusd path carries it explicitly. The full target
// string is repeated because clang lets an explicit target attribute replace
// the one HWY_BEFORE_NAMESPACE pushes (g++ merges them).
#undef RSR_VNNI_ATTR
#if HWY_TARGET == HWY_AVX3_DL
#define RSR_VNNI_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))
#else
#define RSR_VNNI_ATTR
#endif

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace rowpack {
namespace HWY_NAMESPACE {

template <size_t R, size_t T, class Tile>
RSR_VNNI_ATTR HWY_INLINE void TiledRows(const uint8_t* w, size_t row_bytes,
                                        size_t M, const int8_t* xs,
                                        size_t xstride, size_t tokens,
                                        const int32_t* sums,
                                        const float* act_scales, float w_scale,
                                        float* y, size_t r0, size_t r1) {
  const size_t block_rows =
      tokens <= T
          ? r1 - r0
          : std::max<size_t>(R, (size_t{128} << 10) / row_bytes / R * R);
  for (size_t rb = r0; rb < r1; rb += block_rows) {
    const size_t rb_end = std::min(r1, rb + block_rows);
    for (size_t t = 0; t < tokens; t += T) {
      const size_t nt = std::min(T, tokens - t);
      const int8_t* toks[T];
      for (size_t j = 0; j < T; ++j)
        toks[j] = xs + (t + std::min(j, nt - 1)) * xstride;
      for (size_t r = rb; r < rb_end; r += R) {
        const size_t nr = std::min(R, rb_end - r);
        const uint8_t* rows[R];
        for (size_t i = 0; i < R; ++i)
          rows[i] = w + (r + std::min(i, nr - 1)) * row_bytes;
        const uint8_t* next[R];  // the next tile's rows (clamped to r1)
        for (size_t i = 0; i < R; ++i)
          next[i] = w + std::min(r + R + i, r1 - 1) * row_bytes;
        int32_t raw[R][T];
        Tile::template Dots<R, T>(rows, next, toks, row_bytes, raw);
        for (size_t i = 0; i < nr; ++i)
          for (size_t j = 0; j < nt; ++j)
            y[(t + j) * M + r + i] = DequantizeDot(raw[i][j] - sums[t + j],
                                                   act_scales[t + j], w_scale);
      }
    }
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rowpack
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
