// The per-target tiling driver the row-packed kernels (i2s, tq5) share:
// included once per Highway target by their -inl.h files (through
// foreach_target.h in i2s.cc and tq5.cc).
//
// TiledRows walks rows [r0, r1) x all tokens in R x T tiles; a partial tile
// repeats its last row / token and discards the copies. The rows are stored
// in segments (rowpack.h, Layout); the method's tile body works on one
// segment of R rows at a time:
//   Tile::Dots<R, T>(rows, next, toks, bytes, raw): raw[i][j] = sum over
//   `bytes` packed bytes at rows[i] of codes * toks[j] (the method's
//   activation layout, Tile::kActsPerByte activations per packed byte);
//   next[i] = the rows of the tile computed next, for prefetching.
// Loop orders:
// * tokens <= T (GEMV): per group of rows, segment by segment, every tile of
//   the group's part of [r0, r1) per segment, int32 partial sums kept per
//   row: the weights are read in memory order and one segment's activations
//   are reused from L1 by every tile.
// * tokens > T (GEMM): a block of rows (about 128 KiB of weights, stays in
//   L2) x token tiles x rows in the block, each tile over all its segments,
//   so a token tile's activations (T * K bytes) are reused from L1/L2 across
//   the block instead of streaming once per row (i2s at N = 32, K = 4096:
//   streaming them per row was 3x slower per token than N = 4).

#if defined(RSR_BASELINES_ROWPACK_ROWPACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_BASELINES_ROWPACK_ROWPACK_INL_H_
#undef RSR_BASELINES_ROWPACK_ROWPACK_INL_H_
#else
#define RSR_BASELINES_ROWPACK_ROWPACK_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "baselines/rowpack/rowpack.h"
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
RSR_VNNI_ATTR HWY_INLINE void TiledRows(const uint8_t* w, const Layout& L,
                                        const int8_t* xs, size_t xstride,
                                        size_t tokens, const int32_t* sums,
                                        const float* act_scales, float w_scale,
                                        float* y, size_t r0, size_t r1) {
  const size_t M = L.rows, nseg = L.Segments();
  // Activation offset of segment s.
  const auto seg_x = [](size_t s) {
    return s * kSegmentBytes * Tile::kActsPerByte;
  };
  const auto store = [&](size_t r, size_t nr, size_t t, size_t nt,
                         const int32_t(*raw)[T]) {
    for (size_t i = 0; i < nr; ++i)
      for (size_t j = 0; j < nt; ++j)
        y[(t + j) * M + r + i] =
            DequantizeDot(raw[i][j] - sums[t + j], act_scales[t + j], w_scale);
  };
  const int8_t* toks[T];
  const int8_t* toks_s[T];
  const uint8_t* rows[R];
  const uint8_t* next[R];
  int32_t raw[R][T];
  if (tokens <= T) {
    for (size_t j = 0; j < T; ++j)
      toks[j] = xs + std::min(j, tokens - 1) * xstride;
    int32_t part[kGroupRows][T];
    for (size_t b0 = r0; b0 < r1;) {
      const size_t b1 = std::min(r1, (b0 / kGroupRows + 1) * kGroupRows);
      for (size_t s = 0; s < nseg; ++s) {
        for (size_t j = 0; j < T; ++j) toks_s[j] = toks[j] + seg_x(s);
        // The block's rows of segment s: consecutive, `len` bytes apart.
        const size_t len = L.SegmentBytes(s);
        const uint8_t* const base = w + L.Offset(b0, s);
        for (size_t r = b0; r < b1; r += R) {
          const size_t nr = std::min(R, b1 - r);
          for (size_t i = 0; i < R; ++i)
            rows[i] = base + (r - b0 + std::min(i, nr - 1)) * len;
          // The tile computed next: the next rows of this segment, or (at
          // the block's end) its first rows in the next segment, or the
          // next block.
          if (r + R < b1) {
            for (size_t i = 0; i < R; ++i)
              next[i] = base + (std::min(r + R + i, b1 - 1) - b0) * len;
          } else {
            const size_t rn = s + 1 < nseg ? b0 : std::min(b1, r1 - 1);
            const size_t sn = s + 1 < nseg ? s + 1 : 0;
            for (size_t i = 0; i < R; ++i)
              next[i] = w + L.Offset(std::min(rn + i, r1 - 1), sn);
          }
          Tile::template Dots<R, T>(rows, next, toks_s, len, raw);
          for (size_t i = 0; i < nr; ++i)
            for (size_t j = 0; j < T; ++j)
              part[r - b0 + i][j] =
                  (s == 0 ? 0 : part[r - b0 + i][j]) + raw[i][j];
        }
      }
      store(b0, b1 - b0, 0, tokens, part);
      b0 = b1;
    }
    return;
  }
  const size_t block_rows =
      std::max<size_t>(R, (size_t{128} << 10) / L.row_bytes / R * R);
  for (size_t rb = r0; rb < r1;) {
    // With segments, blocks end at group ends: in every segment a block's
    // rows are consecutive, len(s) bytes apart, in the segment's run of the
    // group. (The single-segment branch is separate because the partial
    // sums cost tq5 N = 8 9% at 2048^2; AVX3_DL, docs/design-notes.md.)
    const size_t g0 = rb / kGroupRows * kGroupRows;
    const size_t run_bytes = kSegmentBytes * std::min(kGroupRows, M - g0);
    const uint8_t* const group = w + L.Offset(g0, 0);
    const size_t rb_end =
        std::min({r1, rb + block_rows, nseg == 1 ? r1 : g0 + kGroupRows});
    for (size_t t = 0; t < tokens; t += T) {
      const size_t nt = std::min(T, tokens - t);
      for (size_t j = 0; j < T; ++j)
        toks[j] = xs + (t + std::min(j, nt - 1)) * xstride;
      for (size_t r = rb; r < rb_end; r += R) {
        const size_t nr = std::min(R, rb_end - r);
        if (nseg == 1) {  // whole rows, consecutive: no partial sums
          const uint8_t* const tile = group + (r - g0) * L.row_bytes;
          for (size_t i = 0; i < R; ++i) {
            rows[i] = tile + std::min(i, nr - 1) * L.row_bytes;
            next[i] = tile + (R + i) * L.row_bytes;
          }
          Tile::template Dots<R, T>(rows, next, toks, L.row_bytes, raw);
          store(r, nr, t, nt, raw);
          continue;
        }
        int32_t sum[R][T] = {};
        const uint8_t* run = group;
        for (size_t s = 0; s < nseg; ++s, run += run_bytes) {
          const size_t len = L.SegmentBytes(s);
          const uint8_t* const tile = run + (r - g0) * len;
          for (size_t i = 0; i < R; ++i) {
            rows[i] = tile + std::min(i, nr - 1) * len;
            next[i] = tile + (R + i) * len;  // a hint: may pass the run
          }
          for (size_t j = 0; j < T; ++j) toks_s[j] = toks[j] + seg_x(s);
          Tile::template Dots<R, T>(rows, next, toks_s, len, raw);
          for (size_t i = 0; i < R; ++i)
            for (size_t j = 0; j < T; ++j) sum[i][j] += raw[i][j];
        }
        store(r, nr, t, nt, sum);
      }
    }
    rb = rb_end;
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rowpack
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
