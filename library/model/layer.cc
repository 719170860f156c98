// The decoder layer and output head (layer.h); SIMD bodies in layer-inl.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "library/model/layer.cc"
// foreach_target.h must come first (it re-includes this file per target).
// clang-format off
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "library/model/layer-inl.h"
// clang-format on

#if HWY_ONCE
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "kernels/core/parallel.h"
#include "rsr/error.h"
#include "rsr/registry.h"

namespace rsr::model {
HWY_EXPORT(RmsNormRows);
HWY_EXPORT(RopeToken);
HWY_EXPORT(ScoresBlock);
HWY_EXPORT(SoftmaxRow);
HWY_EXPORT(ValuesRows);
HWY_EXPORT(FfnActivate);
HWY_EXPORT(AddRows);
HWY_EXPORT(HeadRows);

namespace {

// Attention scores of one token chunk are at most this many bytes: a
// prefill of N tokens over S positions needs N * heads * S floats (128 tokens
// x 20 heads x 4224 positions = 43 MB for bitnet-2b at context 4096), so
// longer prefills run the three attention passes chunk by chunk.
constexpr size_t kScoreChunkBytes = size_t{64} << 20;
// Positions per scores task (a multiple of kKeyBlock): 64 keys of 128
// floats are 32 KiB, an L1's worth, kept there for a prefill's other tokens,
// and give 2 threads enough tasks at a decode's context of 128.
constexpr size_t kPosBlock = 64;

// Rows of transposed values per task: 8 tasks per KV head at head_dim 128.
constexpr size_t kValueRows = 16;

// splitmix64: fast seeded fills of large synthetic buffers (the f16 head has
// 328 M weights at bitnet-2b; mt19937_64 would take seconds).
uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<float> RandomGains(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(0.5f, 1.5f);
  std::vector<float> g(n);
  for (auto& v : g) v = dist(rng);
  return g;
}

TernaryMatrix Projection(size_t rows, size_t cols, uint64_t seed) {
  const float scale = static_cast<float>(
      1.0 / std::sqrt(2.0 * static_cast<double>(cols) / 3.0));
  return RandomTernary(rows, cols, seed, 1.0 / 3.0, scale);
}

size_t Align16(size_t n) { return (n + 15) & ~size_t{15}; }

}  // namespace

float F32FromF16Bits(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits >> 15) << 31;
  const uint32_t exp = (bits >> 10) & 0x1F;
  const uint32_t man = bits & 0x3FF;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(man), -24);  // subnormal or zero
    return sign ? -f : f;
  }
  const uint32_t out = exp == 31 ? (sign | 0x7F800000u | (man << 13))
                                 : (sign | ((exp + 112) << 23) | (man << 13));
  std::memcpy(&f, &out, sizeof(f));
  return f;
}

size_t LayerWeights::Count() const {
  size_t n = 0;
  for (const TernaryMatrix* m : {&q, &k, &v, &o, &gate, &up, &down})
    n += m->rows() * m->cols();
  return n;
}

LayerWeights RandomLayerWeights(const ModelConfig& c, uint64_t seed) {
  c.Validate();
  LayerWeights w;
  w.q = Projection(c.q_dim(), c.hidden, seed * 16 + 1);
  w.k = Projection(c.kv_dim(), c.hidden, seed * 16 + 2);
  w.v = Projection(c.kv_dim(), c.hidden, seed * 16 + 3);
  w.o = Projection(c.hidden, c.q_dim(), seed * 16 + 4);
  w.gate = Projection(c.ffn, c.hidden, seed * 16 + 5);
  w.up = Projection(c.ffn, c.hidden, seed * 16 + 6);
  w.down = Projection(c.hidden, c.ffn, seed * 16 + 7);
  w.attn_norm = RandomGains(c.hidden, seed * 16 + 8);
  w.ffn_norm = RandomGains(c.hidden, seed * 16 + 9);
  if (c.sub_norms) {
    w.attn_sub_norm = RandomGains(c.q_dim(), seed * 16 + 10);
    w.ffn_sub_norm = RandomGains(c.ffn, seed * 16 + 11);
  }
  return w;
}

KvCache::KvCache(const ModelConfig& c, size_t positions)
    : kv_heads_(c.kv_heads),
      positions_(positions),
      head_dim_(c.head_dim),
      blocks_((positions + kKeyBlock - 1) / kKeyBlock) {
  if (positions == 0 || positions > kMaxPositions)
    throw Error("context", "cache positions must be in 1.." +
                               std::to_string(kMaxPositions) + ", got " +
                               std::to_string(positions));
  const size_t n = kv_heads_ * blocks_ * kKeyBlock * head_dim_;
  k_ = hwy::AllocateAligned<float>(n);
  v_ = hwy::AllocateAligned<float>(n);
  if (!k_ || !v_) throw Error("context", "cannot allocate the KV cache");
  std::memset(k_.get(), 0, n * sizeof(float));
  std::memset(v_.get(), 0, n * sizeof(float));
}

void KvCache::SetKey(size_t head, size_t pos, const float* k) {
  float* blk = key_block(head, pos / kKeyBlock) + pos % kKeyBlock;
  for (size_t i = 0; i < head_dim_; ++i) blk[i * kKeyBlock] = k[i];
}

void KvCache::SetValue(size_t head, size_t pos, const float* v) {
  for (size_t i = 0; i < head_dim_; ++i) v_[ValueOffset(head, i) + pos] = v[i];
}

void KvCache::FillRandom(size_t count, uint64_t seed) {
  count = std::min(count, positions_);
  uint64_t s = seed;
  const auto next = [&s] {
    return static_cast<float>(SplitMix(s) >> 40) * (2.0f / 16777216.0f) - 1.0f;
  };
  std::vector<float> k(head_dim_);
  for (size_t h = 0; h < kv_heads_; ++h)
    for (size_t p = 0; p < count; ++p) {
      for (auto& x : k) x = next();
      SetKey(h, p, k.data());
      for (auto& x : k) x = next();
      SetValue(h, p, k.data());
    }
}

double RopeTable::Angle(size_t pos, size_t i, size_t head_dim, double theta) {
  return static_cast<double>(pos) *
         std::pow(theta, -2.0 * static_cast<double>(i) /
                             static_cast<double>(head_dim));
}

RopeTable::RopeTable(size_t head_dim, double theta, size_t positions)
    : half_(head_dim / 2), positions_(positions) {
  if (positions > kMaxPositions)
    throw Error("context",
                "RoPE table positions exceed " + std::to_string(kMaxPositions));
  cos_.resize(positions * half_);
  sin_.resize(positions * half_);
  for (size_t p = 0; p < positions; ++p)
    for (size_t i = 0; i < half_; ++i) {
      const double a = Angle(p, i, head_dim, theta);
      cos_[p * half_ + i] = static_cast<float>(std::cos(a));
      sin_[p * half_ + i] = static_cast<float>(std::sin(a));
    }
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kNorm:
      return "rmsnorm";
    case Op::kQkvProj:
      return "qkv_proj";
    case Op::kRope:
      return "rope_kv";
    case Op::kScores:
      return "attn_scores";
    case Op::kSoftmax:
      return "softmax";
    case Op::kValues:
      return "attn_values";
    case Op::kOProj:
      return "o_proj";
    case Op::kGateUpProj:
      return "gate_up_proj";
    case Op::kFfnAct:
      return "ffn_act";
    case Op::kDownProj:
      return "down_proj";
    case Op::kResidual:
      return "residual";
    case Op::kCount:
      break;
  }
  return "?";
}

bool IsProjection(Op op) {
  return op == Op::kQkvProj || op == Op::kOProj || op == Op::kGateUpProj ||
         op == Op::kDownProj;
}

float* Workspace::Get(size_t n) {
  if (n > floats) {
    buf = hwy::AllocateAligned<float>(n);
    if (!buf) throw Error("tokens", "cannot allocate the layer's scratch");
    floats = n;
  }
  return buf.get();
}

DecoderLayer::DecoderLayer(const ModelConfig& config, const LayerWeights& w,
                           const std::string& kernel,
                           const KernelOptions& options)
    : config_(config),
      attn_norm_(w.attn_norm),
      ffn_norm_(w.ffn_norm),
      attn_sub_norm_(w.attn_sub_norm),
      ffn_sub_norm_(w.ffn_sub_norm),
      threads_(std::max(1, options.threads)) {
  config_.Validate();
  const TernaryMatrix* mats[7] = {&w.q,    &w.k,  &w.v,   &w.o,
                                  &w.gate, &w.up, &w.down};
  const size_t shapes[7][2] = {
      {config_.q_dim(), config_.hidden},  {config_.kv_dim(), config_.hidden},
      {config_.kv_dim(), config_.hidden}, {config_.hidden, config_.q_dim()},
      {config_.ffn, config_.hidden},      {config_.ffn, config_.hidden},
      {config_.hidden, config_.ffn}};
  for (size_t i = 0; i < 7; ++i) {
    if (mats[i]->rows() != shapes[i][0] || mats[i]->cols() != shapes[i][1])
      throw Error("weights", "projection " + std::to_string(i) + " is " +
                                 std::to_string(mats[i]->rows()) + "x" +
                                 std::to_string(mats[i]->cols()) +
                                 ", the config needs " +
                                 std::to_string(shapes[i][0]) + "x" +
                                 std::to_string(shapes[i][1]));
    proj_[i] = CreateKernel(kernel, options);
    proj_[i]->Prepare(*mats[i]);
  }
  if (attn_norm_.size() != config_.hidden ||
      ffn_norm_.size() != config_.hidden ||
      (config_.sub_norms && (attn_sub_norm_.size() != config_.q_dim() ||
                             ffn_sub_norm_.size() != config_.ffn)))
    throw Error("weights", "norm gains do not match the config");
  SetThreads(threads_);
}

DecoderLayer::~DecoderLayer() = default;
DecoderLayer::DecoderLayer(DecoderLayer&&) noexcept = default;

void DecoderLayer::SetThreads(int threads) {
  if (threads < 1) throw Error("threads", "must be >= 1");
  threads_ = threads;
  for (auto& k : proj_) k->SetThreads(threads);
}

size_t DecoderLayer::PreparedBytes() const {
  size_t n = 0;
  for (const auto& k : proj_) n += k->PreparedBytes();
  return n;
}

ActivationType DecoderLayer::activations() const {
  return proj_[0]->activations();
}

void DecoderLayer::Forward(std::span<const float> x, size_t tokens,
                           size_t context, KvCache& cache,
                           const RopeTable& rope, Workspace& ws,
                           std::span<float> out, OpTimes* times,
                           LayerTrace* trace) const {
  const ModelConfig& c = config_;
  const size_t H = c.hidden, Q = c.q_dim(), KV = c.kv_dim(), F = c.ffn;
  const size_t d = c.head_dim, G = c.group(), heads = c.heads, kvh = c.kv_heads;
  if (tokens == 0 || tokens > kMaxForwardTokens)
    throw Error("tokens", "must be in 1.." + std::to_string(kMaxForwardTokens) +
                              ", got " + std::to_string(tokens));
  if (x.size() != tokens * H) throw Error("x", "size must be tokens * hidden");
  if (out.size() != tokens * H)
    throw Error("out", "size must be tokens * hidden");
  const size_t S = context + tokens;  // positions the last token attends to
  if (cache.kv_heads() != kvh || cache.head_dim() != d)
    throw Error("cache", "shape does not match the config");
  if (cache.positions() < S)
    throw Error("cache",
                "holds " + std::to_string(cache.positions()) +
                    " positions, context + tokens = " + std::to_string(S));
  if (rope.positions() < S || rope.head_dim() != d)
    throw Error("rope",
                "table shorter than context + tokens or of another head_dim");

  size_t chunk = tokens;
  // Score rows start on 64-byte boundaries: the values pass loads them as
  // vectors, and rows 4 bytes off alignment (S = 4097) would split every
  // load across two cache lines (bitnet-2b decode at context 4096: values
  // pass 0.51 ms before, 0.37-0.50 ms after on this noisy shared machine).
  const size_t SR = Align16(S);
  while (chunk > 1 && chunk * heads * SR * sizeof(float) > kScoreChunkBytes)
    chunk = (chunk + 1) / 2;

  // Scratch, each buffer 64-byte aligned.
  const size_t sizes[] = {tokens * H,  tokens * Q, tokens * KV,
                          tokens * KV, tokens * Q, tokens * Q,
                          tokens * H,  tokens * H, tokens * F,
                          tokens * F,  tokens * F, chunk * heads * SR};
  size_t total = 0;
  for (size_t s : sizes) total += Align16(s);
  float* p = ws.Get(total);
  float* bufs[12];
  for (size_t i = 0; i < 12; ++i) {
    bufs[i] = p;
    p += Align16(sizes[i]);
  }
  float *n = bufs[0], *q = bufs[1], *k = bufs[2], *v = bufs[3], *a = bufs[4],
        *an = bufs[5];
  float *proj = bufs[6], *h = bufs[7], *g = bufs[8], *u = bufs[9],
        *gn = bufs[10];
  float* scores = bufs[11];

  using Clock = std::chrono::steady_clock;
  Clock::time_point t0;
  if (times) t0 = Clock::now();
  const auto lap = [&](Op op) {
    if (!times) return;
    const Clock::time_point t1 = Clock::now();
    (*times)[op] += std::chrono::duration<double>(t1 - t0).count();
    t0 = t1;
  };
  const auto project = [&](size_t i, const float* in, size_t K, float* o,
                           size_t M) {
    if (tokens == 1) {
      proj_[i]->Gemv({in, K}, {o, M});
    } else {
      proj_[i]->Gemm({in, tokens * K}, tokens, {o, tokens * M});
    }
  };
  const auto record = [](std::vector<float>& to, const float* from,
                         size_t count) { to.assign(from, from + count); };
  // Valid positions of the chunk's score rows (chunk starts at token c0).
  const auto record_rows = [&](std::vector<float>& to, size_t c0, size_t nt) {
    for (size_t t = 0; t < nt; ++t)
      for (size_t hh = 0; hh < heads; ++hh)
        std::memcpy(&to[((c0 + t) * heads + hh) * S],
                    scores + (t * heads + hh) * SR,
                    (context + c0 + t + 1) * sizeof(float));
  };
  const int th = threads_;

  HWY_DYNAMIC_DISPATCH(RmsNormRows)
  (x.data(), attn_norm_.data(), H, tokens, c.rms_eps, n);
  lap(Op::kNorm);
  project(0, n, H, q, Q);
  project(1, n, H, k, KV);
  project(2, n, H, v, KV);
  lap(Op::kQkvProj);
  if (trace) {
    record(trace->norm_in, n, tokens * H);
    record(trace->q, q, tokens * Q);
    record(trace->k, k, tokens * KV);
    record(trace->v, v, tokens * KV);
    trace->scores.assign(tokens * heads * S, 0.0f);
    trace->probs.assign(tokens * heads * S, 0.0f);
  }
  for (size_t t = 0; t < tokens; ++t) {
    const size_t pos = context + t;
    HWY_DYNAMIC_DISPATCH(RopeToken)
    (q + t * Q, heads, d, rope.cos(pos), rope.sin(pos));
    HWY_DYNAMIC_DISPATCH(RopeToken)
    (k + t * KV, kvh, d, rope.cos(pos), rope.sin(pos));
    for (size_t j = 0; j < kvh; ++j) {
      cache.SetKey(j, pos, k + t * KV + j * d);
      cache.SetValue(j, pos, v + t * KV + j * d);
    }
  }
  lap(Op::kRope);
  if (trace) {
    record(trace->q_rope, q, tokens * Q);
    record(trace->k_rope, k, tokens * KV);
  }

  const float scale =
      static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  const size_t vblocks = (d + kValueRows - 1) / kValueRows;
  for (size_t c0 = 0; c0 < tokens; c0 += chunk) {
    const size_t nt = std::min(chunk, tokens - c0);
    const size_t longest = context + c0 + nt;
    const size_t pblocks = (longest + kPosBlock - 1) / kPosBlock;
    // One task per (KV head, block of positions) for every token of the
    // chunk: a prefill reads each key once from memory; the block (32 KiB)
    // stays in L1 for the other tokens.
    ParallelFor(kvh * pblocks, th, [&](size_t task) {
      const size_t b = task % pblocks, j = task / pblocks, p0 = b * kPosBlock;
      for (size_t t = 0; t < nt; ++t) {
        const size_t len = context + c0 + t + 1;
        if (p0 >= len) continue;
        HWY_DYNAMIC_DISPATCH(ScoresBlock)
        (q + (c0 + t) * Q + j * G * d, G, d, cache.key_block(j, p0 / kKeyBlock),
         std::min(kPosBlock, len - p0), scale,
         scores + (t * heads + j * G) * SR + p0, SR);
      }
    });
    lap(Op::kScores);
    if (trace) record_rows(trace->scores, c0, nt);
    ParallelFor(nt * heads, th, [&](size_t task) {
      const size_t t = task / heads;
      HWY_DYNAMIC_DISPATCH(SoftmaxRow)
      (scores + task * SR, context + c0 + t + 1);
    });
    lap(Op::kSoftmax);
    if (trace) record_rows(trace->probs, c0, nt);
    // One task per (KV head, block of kValueRows rows of head_dim), all the
    // chunk's tokens inside (ValuesRows keeps its tiles in L1).
    ParallelFor(kvh * vblocks, th, [&](size_t task) {
      const size_t b = task % vblocks, j = task / vblocks, i0 = b * kValueRows;
      HWY_DYNAMIC_DISPATCH(ValuesRows)
      (scores + j * G * SR, SR, heads * SR, nt, context + c0 + 1, G,
       cache.value_row(j, i0), cache.value_stride(),
       std::min(kValueRows, d - i0), d, a + c0 * Q + j * G * d + i0, Q);
    });
    lap(Op::kValues);
  }
  if (trace) record(trace->attn, a, tokens * Q);

  const float* o_in = a;
  if (c.sub_norms) {
    HWY_DYNAMIC_DISPATCH(RmsNormRows)
    (a, attn_sub_norm_.data(), Q, tokens, c.rms_eps, an);
    o_in = an;
    lap(Op::kNorm);
    if (trace) record(trace->attn_normed, an, tokens * Q);
  }
  project(3, o_in, Q, proj, H);
  lap(Op::kOProj);
  if (trace) record(trace->o, proj, tokens * H);
  HWY_DYNAMIC_DISPATCH(AddRows)(x.data(), proj, tokens * H, h);
  lap(Op::kResidual);
  HWY_DYNAMIC_DISPATCH(RmsNormRows)
  (h, ffn_norm_.data(), H, tokens, c.rms_eps, n);
  lap(Op::kNorm);
  project(4, n, H, g, F);
  project(5, n, H, u, F);
  lap(Op::kGateUpProj);
  if (trace) {
    record(trace->h, h, tokens * H);
    record(trace->ffn_in, n, tokens * H);
    record(trace->gate, g, tokens * F);
    record(trace->up, u, tokens * F);
  }
  HWY_DYNAMIC_DISPATCH(FfnActivate)
  (g, u, tokens * F, c.activation == FfnActivation::kSilu);
  lap(Op::kFfnAct);
  if (trace) record(trace->act, g, tokens * F);
  const float* down_in = g;
  if (c.sub_norms) {
    HWY_DYNAMIC_DISPATCH(RmsNormRows)
    (g, ffn_sub_norm_.data(), F, tokens, c.rms_eps, gn);
    down_in = gn;
    lap(Op::kNorm);
    if (trace) record(trace->act_normed, gn, tokens * F);
  }
  project(6, down_in, F, proj, H);
  lap(Op::kDownProj);
  if (trace) record(trace->down, proj, tokens * H);
  HWY_DYNAMIC_DISPATCH(AddRows)(h, proj, tokens * H, out.data());
  lap(Op::kResidual);
  if (trace) record(trace->out, out.data(), tokens * H);
}

OutputHead::OutputHead(const ModelConfig& c, uint64_t seed)
    : rows_(c.vocab), cols_(c.hidden), eps_(c.rms_eps) {
  c.Validate();
  const size_t n = rows_ * cols_;
  w_ = hwy::AllocateAligned<hwy::float16_t>(n);
  if (!w_) throw Error("model", "cannot allocate the output head");
  // Sign, exponent field 8..15 (2^-7 .. 2^0 times 1.mantissa), mantissa: every
  // value finite and normal.
  std::vector<uint16_t> bits(4096);
  uint64_t s = seed;
  for (size_t i0 = 0; i0 < n; i0 += bits.size()) {
    const size_t m = std::min(bits.size(), n - i0);
    for (size_t i = 0; i < m; i += 4) {
      uint64_t r = SplitMix(s);
      for (size_t j = 0; j < 4 && i + j < m; ++j, r >>= 16) {
        const uint16_t x = static_cast<uint16_t>(r);
        bits[i + j] = static_cast<uint16_t>(
            (x & 0x8000) | ((8 + ((x >> 10) & 7)) << 10) | (x & 0x3FF));
      }
    }
    std::memcpy(static_cast<void*>(w_.get() + i0), bits.data(),
                m * sizeof(uint16_t));
  }
  norm_ = RandomGains(cols_, seed + 1);
}

uint16_t OutputHead::WeightBits(size_t r, size_t c) const {
  uint16_t bits;
  std::memcpy(&bits, w_.get() + r * cols_ + c, sizeof(bits));
  return bits;
}

void OutputHead::Forward(std::span<const float> x, std::span<float> logits,
                         int threads, Workspace& ws) const {
  if (x.size() != cols_) throw Error("x", "size must be hidden");
  if (logits.size() != rows_) throw Error("logits", "size must be vocab");
  if (threads < 1) throw Error("threads", "must be >= 1");
  float* y = ws.Get(Align16(cols_));
  HWY_DYNAMIC_DISPATCH(RmsNormRows)(x.data(), norm_.data(), cols_, 1, eps_, y);
  ParallelChunks(rows_, threads, 16, [&](size_t b, size_t e) {
    HWY_DYNAMIC_DISPATCH(HeadRows)(w_.get(), cols_, y, b, e, logits.data());
  });
}

}  // namespace rsr::model
#endif  // HWY_ONCE
