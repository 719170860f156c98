// Per-target SIMD bodies of the decoder layer's non-projection operations
// (included once per Highway target by layer.cc through foreach_target.h):
// RMSNorm, RoPE, attention scores, softmax, probabilities x V, the FFN
// activation, residual adds, and the f16 output-head GEMV.
//
// Float only; every sum runs in float in a target-dependent order, so the
// results differ between targets by rounding (reference_layer.h bounds the
// difference) but never between thread counts: each output is computed by
// one thread with the same instruction sequence whatever the split.
//
// Tails (lengths not a multiple of the vector width, e.g. bitnet-3b's
// head_dim of 100) run scalar: masked loads would read past the end of a
// row on targets without masked-load instructions (SSE4, NEON).

// Target-independent part (normal include guard).
#ifndef RSR_LIBRARY_MODEL_LAYER_COMMON_H_
#define RSR_LIBRARY_MODEL_LAYER_COMMON_H_
#include <stddef.h>
#include <stdint.h>

#include <cstring>

#include "hwy/base.h"
#include "library/model/layer.h"

namespace rsr::model {
// One f16 weight as float (scalar tails of the head GEMV).
inline float HeadWeight(const hwy::float16_t* w, size_t i) {
  uint16_t bits;
  std::memcpy(&bits, w + i, sizeof(bits));
  return F32FromF16Bits(bits);
}
}  // namespace rsr::model
#endif  // RSR_LIBRARY_MODEL_LAYER_COMMON_H_

#if defined(RSR_LIBRARY_MODEL_LAYER_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RSR_LIBRARY_MODEL_LAYER_INL_H_
#undef RSR_LIBRARY_MODEL_LAYER_INL_H_
#else
#define RSR_LIBRARY_MODEL_LAYER_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rsr::model {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y = x / sqrt(mean(x^2) + eps) * g over one row of n floats. Two
// accumulators: the sum of squares is a dependent chain of n/N MulAdds
// otherwise.
HWY_INLINE void RmsNormRow(const float* HWY_RESTRICT x,
                           const float* HWY_RESTRICT g, size_t n, float eps,
                           float* HWY_RESTRICT y) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto a = hn::LoadU(d, x + i), b = hn::LoadU(d, x + i + N);
    s0 = hn::MulAdd(a, a, s0);
    s1 = hn::MulAdd(b, b, s1);
  }
  for (; i + N <= n; i += N) {
    const auto a = hn::LoadU(d, x + i);
    s0 = hn::MulAdd(a, a, s0);
  }
  float ss = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) ss += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  const auto vinv = hn::Set(d, inv);
  i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::Mul(hn::Mul(hn::LoadU(d, x + i), vinv), hn::LoadU(d, g + i)),
               d, y + i);
  for (; i < n; ++i) y[i] = x[i] * inv * g[i];
}

void RmsNormRows(const float* x, const float* g, size_t n, size_t rows,
                 float eps, float* y) {
  for (size_t r = 0; r < rows; ++r) RmsNormRow(x + r * n, g, n, eps, y + r * n);
}

// Rotate-half RoPE in place on `heads` heads of one token: for i < d/2,
// (x_i, x_{i+d/2}) -> (x_i c_i - x_{i+d/2} s_i, x_{i+d/2} c_i + x_i s_i).
void RopeToken(float* v, size_t heads, size_t head_dim, const float* cs,
               const float* sn) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const size_t half = head_dim / 2;
  for (size_t h = 0; h < heads; ++h) {
    float* HWY_RESTRICT x1 = v + h * head_dim;
    float* HWY_RESTRICT x2 = x1 + half;
    size_t i = 0;
    for (; i + N <= half; i += N) {
      const auto a = hn::LoadU(d, x1 + i), b = hn::LoadU(d, x2 + i);
      const auto c = hn::LoadU(d, cs + i), s = hn::LoadU(d, sn + i);
      hn::StoreU(hn::MulSub(a, c, hn::Mul(b, s)), d, x1 + i);
      hn::StoreU(hn::MulAdd(b, c, hn::Mul(a, s)), d, x2 + i);
    }
    for (; i < half; ++i) {
      const float a = x1[i], b = x2[i];
      x1[i] = a * cs[i] - b * sn[i];
      x2[i] = b * cs[i] + a * sn[i];
    }
  }
}

// Scores of kH (1, 2 or 4) query heads (rows q + j*head_dim) against one
// key block (KvCache layout: head_dim rows of kKeyBlock positions):
// out[j * out_stride + p] = scale * q_j . key(p) for the block's 16
// positions. One key vector feeds kH broadcast multiply-adds; no horizontal
// sums. Per vector of the row (1 on AVX-512, 4 on SSE4/NEON), two
// accumulator sets (even and odd i) keep 8 multiply-add chains in flight.
// Named variables, not arrays: SVE vectors cannot be array elements.
template <size_t kH>
HWY_INLINE void ScoresHeads(const float* HWY_RESTRICT q, size_t head_dim,
                            const float* HWY_RESTRICT blk, float scale,
                            float* out, size_t out_stride) {
  const hn::CappedTag<float, kKeyBlock> d;
  const size_t N = hn::Lanes(d);
  const float* q0 = q;
  const float* q1 = q + (kH > 1 ? 1 : 0) * head_dim;
  const float* q2 = q + (kH > 2 ? 2 : 0) * head_dim;
  const float* q3 = q + (kH > 2 ? 3 : 0) * head_dim;
  const auto vs = hn::Set(d, scale);
  for (size_t v = 0; v < kKeyBlock; v += N) {
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    auto b0 = hn::Zero(d), b1 = hn::Zero(d), b2 = hn::Zero(d), b3 = hn::Zero(d);
    size_t i = 0;
    for (; i + 2 <= head_dim; i += 2) {
      const auto k0 = hn::Load(d, blk + i * kKeyBlock + v);
      const auto k1 = hn::Load(d, blk + (i + 1) * kKeyBlock + v);
      a0 = hn::MulAdd(hn::Set(d, q0[i]), k0, a0);
      b0 = hn::MulAdd(hn::Set(d, q0[i + 1]), k1, b0);
      if constexpr (kH > 1) {
        a1 = hn::MulAdd(hn::Set(d, q1[i]), k0, a1);
        b1 = hn::MulAdd(hn::Set(d, q1[i + 1]), k1, b1);
      }
      if constexpr (kH > 2) {
        a2 = hn::MulAdd(hn::Set(d, q2[i]), k0, a2);
        b2 = hn::MulAdd(hn::Set(d, q2[i + 1]), k1, b2);
        a3 = hn::MulAdd(hn::Set(d, q3[i]), k0, a3);
        b3 = hn::MulAdd(hn::Set(d, q3[i + 1]), k1, b3);
      }
    }
    if (i < head_dim) {  // odd head_dim
      const auto k0 = hn::Load(d, blk + i * kKeyBlock + v);
      a0 = hn::MulAdd(hn::Set(d, q0[i]), k0, a0);
      if constexpr (kH > 1) a1 = hn::MulAdd(hn::Set(d, q1[i]), k0, a1);
      if constexpr (kH > 2) {
        a2 = hn::MulAdd(hn::Set(d, q2[i]), k0, a2);
        a3 = hn::MulAdd(hn::Set(d, q3[i]), k0, a3);
      }
    }
    hn::StoreU(hn::Mul(hn::Add(a0, b0), vs), d, out + v);
    if constexpr (kH > 1)
      hn::StoreU(hn::Mul(hn::Add(a1, b1), vs), d, out + out_stride + v);
    if constexpr (kH > 2) {
      hn::StoreU(hn::Mul(hn::Add(a2, b2), vs), d, out + 2 * out_stride + v);
      hn::StoreU(hn::Mul(hn::Add(a3, b3), vs), d, out + 3 * out_stride + v);
    }
  }
}

// scores[h * score_stride + p] = scale * q_h . key(p) for the `group` query
// heads of one KV head and positions p in [0, count) of the consecutive key
// blocks starting at `blocks` (count's last block may be partial).
void ScoresBlock(const float* q, size_t group, size_t head_dim,
                 const float* blocks, size_t count, float scale, float* scores,
                 size_t score_stride) {
  const size_t step = group % 4 == 0 ? 4 : (group % 2 == 0 ? 2 : 1);
  HWY_ALIGN float tmp[4 * kKeyBlock];
  for (size_t b0 = 0; b0 < count; b0 += kKeyBlock) {
    const float* blk =
        blocks + b0 * head_dim;  // block b0 / 16: 16 * head_dim floats each
    const size_t n = std::min(kKeyBlock, count - b0);
    const bool full = n == kKeyBlock;
    for (size_t h = 0; h < group; h += step) {
      float* out = full ? scores + h * score_stride + b0 : tmp;
      const size_t os = full ? score_stride : kKeyBlock;
      if (step == 4) {
        ScoresHeads<4>(q + h * head_dim, head_dim, blk, scale, out, os);
      } else if (step == 2) {
        ScoresHeads<2>(q + h * head_dim, head_dim, blk, scale, out, os);
      } else {
        ScoresHeads<1>(q + h * head_dim, head_dim, blk, scale, out, os);
      }
      if (!full)
        for (size_t j = 0; j < step; ++j)
          std::memcpy(scores + (h + j) * score_stride + b0, tmp + j * kKeyBlock,
                      n * sizeof(float));
    }
  }
}

// In-place softmax of one row of n scores: exp(s - max) / sum.
void SoftmaxRow(float* s, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto vmax = hn::Set(d, -HUGE_VALF);
  size_t i = 0;
  for (; i + N <= n; i += N) vmax = hn::Max(vmax, hn::LoadU(d, s + i));
  float m = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (; i < n; ++i) m = s[i] > m ? s[i] : m;
  const auto vm = hn::Set(d, m);
  auto vsum = hn::Zero(d);
  i = 0;
  for (; i + N <= n; i += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, s + i), vm));
    vsum = hn::Add(vsum, e);
    hn::StoreU(e, d, s + i);
  }
  float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (; i < n; ++i) {
    // std::exp here and hn::Exp above: both within 1 ulp (the bound in
    // reference_layer.cc allows 2).
    s[i] = std::exp(s[i] - m);
    sum += s[i];
  }
  const float inv = 1.0f / sum;
  const auto vinv = hn::Set(d, inv);
  i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::Mul(hn::LoadU(d, s + i), vinv), d, s + i);
  for (; i < n; ++i) s[i] *= inv;
}

// sums[h * 2 + r] = probs_h . row_r over n positions, for kH (1 or 4)
// probability rows (prob_stride apart) and 2 value rows (row_stride apart):
// a register tile of 8 accumulators (kH = 4) fed by 6 loads per 8
// multiply-adds. kH = 1 (MHA) keeps two accumulators per row (even and odd
// vectors) for the multiply-add latency.
template <size_t kH>
HWY_INLINE void ValuesTile(const float* HWY_RESTRICT probs, size_t prob_stride,
                           const float* HWY_RESTRICT rows, size_t row_stride,
                           size_t n, float* sums) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const float* r0 = rows;
  const float* r1 = rows + row_stride;
  const float* p0 = probs;
  const float* p1 = probs + (kH > 1 ? 1 : 0) * prob_stride;
  const float* p2 = probs + (kH > 1 ? 2 : 0) * prob_stride;
  const float* p3 = probs + (kH > 1 ? 3 : 0) * prob_stride;
  auto c0 = hn::Zero(d), c1 = hn::Zero(d), c2 = hn::Zero(d), c3 = hn::Zero(d);
  auto c4 = hn::Zero(d), c5 = hn::Zero(d), c6 = hn::Zero(d), c7 = hn::Zero(d);
  size_t p = 0;
  if constexpr (kH == 1) {
    for (; p + 2 * N <= n; p += 2 * N) {
      const auto a = hn::LoadU(d, p0 + p), b = hn::LoadU(d, p0 + p + N);
      c0 = hn::MulAdd(a, hn::LoadU(d, r0 + p), c0);
      c1 = hn::MulAdd(a, hn::LoadU(d, r1 + p), c1);
      c2 = hn::MulAdd(b, hn::LoadU(d, r0 + p + N), c2);
      c3 = hn::MulAdd(b, hn::LoadU(d, r1 + p + N), c3);
    }
  }
  for (; p + N <= n; p += N) {
    const auto v0 = hn::LoadU(d, r0 + p), v1 = hn::LoadU(d, r1 + p);
    const auto a = hn::LoadU(d, p0 + p);
    c0 = hn::MulAdd(a, v0, c0);
    c1 = hn::MulAdd(a, v1, c1);
    if constexpr (kH > 1) {
      const auto b = hn::LoadU(d, p1 + p), e = hn::LoadU(d, p2 + p),
                 f = hn::LoadU(d, p3 + p);
      c2 = hn::MulAdd(b, v0, c2);
      c3 = hn::MulAdd(b, v1, c3);
      c4 = hn::MulAdd(e, v0, c4);
      c5 = hn::MulAdd(e, v1, c5);
      c6 = hn::MulAdd(f, v0, c6);
      c7 = hn::MulAdd(f, v1, c7);
    }
  }
  if constexpr (kH == 1) {
    c0 = hn::Add(c0, c2);
    c1 = hn::Add(c1, c3);
  }
  float s[8] = {
      hn::GetLane(hn::SumOfLanes(d, c0)), hn::GetLane(hn::SumOfLanes(d, c1)),
      hn::GetLane(hn::SumOfLanes(d, c2)), hn::GetLane(hn::SumOfLanes(d, c3)),
      hn::GetLane(hn::SumOfLanes(d, c4)), hn::GetLane(hn::SumOfLanes(d, c5)),
      hn::GetLane(hn::SumOfLanes(d, c6)), hn::GetLane(hn::SumOfLanes(d, c7))};
  const float* pr[4] = {p0, p1, p2, p3};
  for (size_t h = 0; h < kH; ++h)
    for (size_t r = 0; r < 2; ++r) {
      float t = s[h * 2 + r];
      const float* row = r ? r1 : r0;
      for (size_t q = p; q < n; ++q) t += pr[h][q] * row[q];
      sums[h * 2 + r] = t;
    }
}

// Probabilities x values for the `group` query heads of one KV head, rows
// [0, nrows) of its transposed values (KvCache; nrows even or the last
// block's remainder), and `tokens` tokens whose probability rows start at
// probs + t * token_stride (head h at + h * prob_stride) and attend to
// first_len + t positions: out[t * out_token_stride + h * head_dim + r].
// Positions go in chunks of 1024 so that a chunk's value rows (16 x 4 KiB)
// stay in L2, and one token's probabilities (4 x 4 KiB) in L1, across the
// rows and tokens: unchunked, a 128-token prefill at context 4096 streamed
// both from L2/L3 for every (token, row) and ran at ~17 GMAC/s (values pass
// 79 ms) against ~26 (52 ms) chunked, 1 thread, Zen 5 under load; chunks of
// 128 to 1024 measured within noise of each other, 1024 marginally best (each
// chunk ends in 8 horizontal sums per tile). One token (decode) reuses
// nothing, and chunks would turn two sequential row streams into sixteen
// short ones, so decode runs unchunked.
void ValuesRows(const float* probs, size_t prob_stride, size_t token_stride,
                size_t tokens, size_t first_len, size_t group,
                const float* rows, size_t row_stride, size_t nrows,
                size_t head_dim, float* out, size_t out_token_stride) {
  const size_t kChunk = tokens > 1 ? 1024 : first_len;
  float s[8];
  const size_t longest = first_len + tokens - 1;
  for (size_t c0 = 0; c0 < longest; c0 += kChunk) {
    for (size_t t = 0; t < tokens; ++t) {
      const size_t len = first_len + t;
      if (c0 >= len) continue;
      const size_t n = std::min(kChunk, len - c0);
      const float* pt = probs + t * token_stride + c0;
      float* ot = out + t * out_token_stride;
      for (size_t r = 0; r < nrows; r += 2) {
        // An odd last row pairs with itself (its second result is dropped).
        const size_t rs = r + 1 < nrows ? row_stride : 0;
        const float* row = rows + r * row_stride + c0;
        for (size_t h = 0; h < group;) {
          const size_t kh = h + 4 <= group ? 4 : 1;
          if (kh == 4) {
            ValuesTile<4>(pt + h * prob_stride, prob_stride, row, rs, n, s);
          } else {
            ValuesTile<1>(pt + h * prob_stride, prob_stride, row, rs, n, s);
          }
          for (size_t j = 0; j < kh; ++j)
            for (size_t k = 0; k < 2 && r + k < nrows; ++k) {
              float& o = ot[(h + j) * head_dim + r + k];
              o = c0 == 0 ? s[j * 2 + k] : o + s[j * 2 + k];
            }
          h += kh;
        }
      }
    }
  }
}

// g = act(g) * u over n floats; act 0 = relu^2, 1 = SiLU.
void FfnActivate(float* HWY_RESTRICT g, const float* HWY_RESTRICT u, size_t n,
                 int silu) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if (silu) {
    // SiLU(x) = x / (1 + e^-x). e^-x is clamped at e^88 (finite): beyond
    // that x / (1 + e^-x) is below 1e-36 in magnitude, and hn::Exp is only
    // valid up to 104.
    const auto one = hn::Set(d, 1.0f), cap = hn::Set(d, 88.0f);
    for (; i + N <= n; i += N) {
      const auto x = hn::LoadU(d, g + i);
      const auto e = hn::Exp(d, hn::Min(hn::Neg(x), cap));
      hn::StoreU(hn::Mul(hn::Div(x, hn::Add(one, e)), hn::LoadU(d, u + i)), d,
                 g + i);
    }
    for (; i < n; ++i) {
      const float x = g[i];
      g[i] = x / (1.0f + std::exp(std::min(-x, 88.0f))) * u[i];
    }
  } else {
    const auto zero = hn::Zero(d);
    for (; i + N <= n; i += N) {
      const auto r = hn::Max(hn::LoadU(d, g + i), zero);
      hn::StoreU(hn::Mul(hn::Mul(r, r), hn::LoadU(d, u + i)), d, g + i);
    }
    for (; i < n; ++i) {
      const float r = g[i] > 0 ? g[i] : 0.0f;
      g[i] = r * r * u[i];
    }
  }
}

void AddRows(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, size_t n,
             float* HWY_RESTRICT y) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::Add(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  for (; i < n; ++i) y[i] = a[i] + b[i];
}

// logits[r] = sum_k E[r][k] * x[k] for rows [r0, r1) of the f16 head (cols
// floats per row), f16 -> f32 by PromoteTo (vcvtph2ps on AVX2/AVX-512,
// fcvtl on NEON). One row at a time, i.e. one sequential stream, with four
// accumulators: four rows side by side sharing each x load made four
// streams and ran at 10.3 GB/s against 17-18 GB/s this way (bitnet-2b, 1
// thread, Zen 5; the read probe: 21 GB/s). Software prefetch of the next
// rows only cost (15 GB/s one row ahead, 14 two ahead): one sequential
// stream is what the hardware prefetchers handle best.
void HeadRows(const hwy::float16_t* w, size_t cols, const float* x, size_t r0,
              size_t r1, float* y) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  const size_t N = hn::Lanes(d);
  for (size_t r = r0; r < r1; ++r) {
    const hwy::float16_t* wr = w + r * cols;
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    size_t i = 0;
    for (; i + 4 * N <= cols; i += 4 * N) {
      a0 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wr + i)),
                      hn::LoadU(d, x + i), a0);
      a1 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wr + i + N)),
                      hn::LoadU(d, x + i + N), a1);
      a2 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wr + i + 2 * N)),
                      hn::LoadU(d, x + i + 2 * N), a2);
      a3 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wr + i + 3 * N)),
                      hn::LoadU(d, x + i + 3 * N), a3);
    }
    for (; i + N <= cols; i += N)
      a0 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wr + i)),
                      hn::LoadU(d, x + i), a0);
    float s = hn::GetLane(
        hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
    for (; i < cols; ++i) s += HeadWeight(wr, i) * x[i];
    y[r] = s;
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr::model
HWY_AFTER_NAMESPACE();

#endif  // RSR_LIBRARY_MODEL_LAYER_INL_H_
