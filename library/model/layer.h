// The model view: one whole ternary decoder layer, end to end, on synthetic
// weights with a published configuration (model_config.h), and the output
// head. The seven projections go through a registry kernel's public
// interface (rsr::CreateKernel, Prepare, Gemv/Gemm); everything else is here,
// Highway SIMD (layer-inl.h):
//
//   n  = RMSNorm(x)                              input_layernorm
//   q, k, v = Wq n, Wk n, Wv n                   ternary (int8 activations
//                                                quantized inside the kernel)
//   q, k = RoPE(q, k) at positions context+i;    rotate-half pairs (i, i+d/2)
//   k, v appended to the KV cache                float32 cache (see KvCache)
//   a  = softmax(q K^T / sqrt(d)) V              grouped-query, causal
//   a  = RMSNorm(a)                              attn_sub_norm (BitNet 2B4T)
//   h  = x + Wo a
//   m  = RMSNorm(h)                              post_attention_layernorm
//   g  = act(Wgate m) * (Wup m)                  relu^2 (BitNet) or SiLU
//   g  = RMSNorm(g)                              ffn_sub_norm (BitNet 2B4T)
//   out = h + Wdown g
//
// Decode is tokens = 1 with a cache of `context` tokens already filled;
// prefill is tokens = N appended to the same cache (N = tokens, causal among
// themselves). The head (OutputHead) is the final RMSNorm plus a GEMV over
// vocab x hidden f16 weights, the precision bitnet.cpp keeps the tied
// embedding of BitNet b1.58 2B4T in (its i2_s GGUF: 2-bit ternary layers plus
// an f16 token_embd of 128256 x 2560 = 656 MB, ~1.2 GB in all).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/base.h"
#include "library/model/model_config.h"
#include "rsr/kernel.h"
#include "rsr/matrix.h"

namespace rsr::model {

// Most tokens one Forward call takes (a prefill chunk; llama.cpp's default
// batch is 2048). Bounds the scratch memory: the attention scores of a chunk
// are capped separately (kScoreChunkBytes in layer.cc).
inline constexpr size_t kMaxForwardTokens = 2048;
// Most positions a KV cache holds (context + new tokens).
inline constexpr size_t kMaxPositions = 65536 + kMaxForwardTokens;

// Synthetic weights of one decoder layer. Projection weights are ternary
// with a per-tensor scale 1/sqrt(2K/3), which keeps activations O(1)
// through the layer (2/3 of the weights are nonzero); norm gains are in
// [0.5, 1.5).
struct LayerWeights {
  TernaryMatrix q, k, v, o, gate, up, down;
  std::vector<float> attn_norm, ffn_norm;          // hidden
  std::vector<float> attn_sub_norm, ffn_sub_norm;  // q_dim, ffn (sub_norms)
  size_t Count() const;                            // ternary weights
};
// Throws rsr::Error("model") when the config is invalid.
LayerWeights RandomLayerWeights(const ModelConfig& config, uint64_t seed);

// Positions per key block of the KV cache (see KvCache).
inline constexpr size_t kKeyBlock = 16;

// Float32 KV cache of one layer, both halves laid out so that attention
// streams memory contiguously and needs no horizontal sum per position:
//   keys in blocks of kKeyBlock positions, transposed
//     ([kv_head][position / 16][head_dim][16]): the scores q.k of 16
//     positions are the 16 lanes of one vector, built from broadcast q_i times
//     one 64-byte key row per i (position-major keys need a SumOfLanes per
//     position and head: prefill scores ran at ~19 GMAC/s on Zen 5);
//   values transposed ([kv_head][head_dim][position]): output element i is
//     the dot product of the probabilities with row i, a sequential stream
//     (position-major values read 128-byte pieces 512 bytes apart per
//     head_dim block: ~17 GB/s in decode at context 4096).
// Real runtimes often keep f16 (bitnet.cpp's default); float32 doubles the
// cache traffic, so the attention share measured here is an upper estimate
// of an f16 cache's.
class KvCache {
 public:
  // Throws rsr::Error("context") when positions is 0 or > kMaxPositions.
  KvCache(const ModelConfig& config, size_t positions);
  size_t positions() const { return positions_; }
  size_t head_dim() const { return head_dim_; }
  size_t kv_heads() const { return kv_heads_; }
  // The key block holding positions [16 b, 16 b + 16) of a head.
  float* key_block(size_t head, size_t b) {
    return k_.get() + KeyOffset(head, b);
  }
  const float* key_block(size_t head, size_t b) const {
    return k_.get() + KeyOffset(head, b);
  }
  float key(size_t head, size_t pos, size_t i) const {
    return key_block(head, pos / kKeyBlock)[i * kKeyBlock + pos % kKeyBlock];
  }
  void SetKey(size_t head, size_t pos, const float* k);  // head_dim floats
  // Row i of a head's transposed values: positions 0 .. capacity-1.
  const float* value_row(size_t head, size_t i) const {
    return v_.get() + ValueOffset(head, i);
  }
  size_t value_stride() const {
    return blocks_ * kKeyBlock;
  }  // floats between rows
  float value(size_t head, size_t pos, size_t i) const {
    return value_row(head, i)[pos];
  }
  void SetValue(size_t head, size_t pos, const float* v);  // head_dim floats
  // Fills positions [0, count) with seeded values in [-1, 1) (a synthetic
  // context: timings do not depend on the values).
  void FillRandom(size_t count, uint64_t seed);
  size_t Bytes() const {
    return 2 * kv_heads_ * blocks_ * kKeyBlock * head_dim_ * sizeof(float);
  }

 private:
  size_t KeyOffset(size_t head, size_t b) const {
    return (head * blocks_ + b) * kKeyBlock * head_dim_;
  }
  size_t ValueOffset(size_t head, size_t i) const {
    return (head * head_dim_ + i) * blocks_ * kKeyBlock;
  }
  size_t kv_heads_, positions_, head_dim_, blocks_;
  hwy::AlignedFreeUniquePtr<float[]> k_, v_;
};

// RoPE cos/sin per position and frequency i < head_dim/2, computed in double
// (angle = pos * theta^(-2i/d)) and rounded once to float, like the rotary
// caches of HF transformers. Built before timing; not part of the layer.
class RopeTable {
 public:
  // Throws rsr::Error("context") when positions > kMaxPositions.
  RopeTable(size_t head_dim, double theta, size_t positions);
  size_t positions() const { return positions_; }
  size_t head_dim() const { return 2 * half_; }
  const float* cos(size_t pos) const { return cos_.data() + pos * half_; }
  const float* sin(size_t pos) const { return sin_.data() + pos * half_; }
  // The exact (double) values the float table rounds.
  static double Angle(size_t pos, size_t i, size_t head_dim, double theta);

 private:
  size_t half_, positions_;
  std::vector<float> cos_, sin_;
};

// Operations of the per-operation breakdown, in layer order.
enum class Op : uint8_t {
  kNorm,        // every RMSNorm of the layer (2, or 4 with sub-norms)
  kQkvProj,     // q, k, v projections (ternary kernel)
  kRope,        // RoPE on q and k, and the k/v append to the cache
  kScores,      // q K^T / sqrt(d) over the cache
  kSoftmax,     // row softmax
  kValues,      // probabilities x V
  kOProj,       // o projection (ternary)
  kGateUpProj,  // gate and up projections (ternary)
  kFfnAct,      // act(gate) * up
  kDownProj,    // down projection (ternary)
  kResidual,    // the two residual adds
  kCount
};
inline constexpr size_t kOpCount = static_cast<size_t>(Op::kCount);
const char* OpName(Op op);
// The ternary projections: the part a faster kernel speeds up.
bool IsProjection(Op op);

struct OpTimes {
  std::array<double, kOpCount> seconds{};
  double& operator[](Op op) { return seconds[static_cast<size_t>(op)]; }
  double operator[](Op op) const { return seconds[static_cast<size_t>(op)]; }
};

// Intermediate tensors of one Forward call, for tests (reference_layer.h
// checks every stage). Token-major; scores and probs are tokens x heads x
// (context + tokens) with positions a token does not attend to set to 0.
struct LayerTrace {
  std::vector<float> norm_in;  // RMSNorm(x), input_layernorm    hidden
  std::vector<float> q, k, v;  // projections, before RoPE       q_dim, kv_dim
  std::vector<float> q_rope, k_rope;  // after RoPE
  std::vector<float> scores, probs;   // q K^T / sqrt(d); softmax
  std::vector<float> attn;            // probs x V                      q_dim
  std::vector<float> attn_normed;     // attn_sub_norm (sub_norms only)
  std::vector<float> o;               // o projection                   hidden
  std::vector<float> h;               // x + o
  std::vector<float> ffn_in;          // RMSNorm(h)
  std::vector<float> gate, up;        // projections                    ffn
  std::vector<float> act;             // act(gate) * up
  std::vector<float> act_normed;      // ffn_sub_norm (sub_norms only)
  std::vector<float> down;            // down projection                hidden
  std::vector<float> out;             // h + down
};

// Scratch shared by the layers of a model (grown on demand, never shrunk).
struct Workspace {
  hwy::AlignedFreeUniquePtr<float[]> buf;
  size_t floats = 0;
  float* Get(size_t n);  // at least n floats, 64-byte aligned
};

class DecoderLayer {
 public:
  // Creates the seven kernels (`kernel` is a registry name) with `options`
  // and prepares them. Throws what CreateKernel/Prepare throw.
  DecoderLayer(const ModelConfig& config, const LayerWeights& weights,
               const std::string& kernel, const KernelOptions& options = {});
  ~DecoderLayer();
  DecoderLayer(DecoderLayer&&) noexcept;

  // x and out are tokens x hidden, token-major (out may not alias x). Cache
  // positions [0, context) hold the context; the new tokens' keys and values
  // are written to positions context .. context+tokens-1 and token i attends
  // to positions 0 .. context+i. With `times`, adds each operation's
  // wall-clock seconds to it; with `trace`, records every intermediate
  // tensor (tests; slow). Throws rsr::Error naming the argument: tokens
  // 0 or > kMaxForwardTokens, a size mismatch, a cache or RoPE table shorter
  // than context+tokens or of another shape.
  void Forward(std::span<const float> x, size_t tokens, size_t context,
               KvCache& cache, const RopeTable& rope, Workspace& ws,
               std::span<float> out, OpTimes* times = nullptr,
               LayerTrace* trace = nullptr) const;

  void SetThreads(int threads);  // kernels and attention
  int threads() const { return threads_; }
  size_t PreparedBytes() const;  // the seven prepared kernels
  ActivationType activations() const;
  const ModelConfig& config() const { return config_; }

 private:
  ModelConfig config_;
  std::array<std::unique_ptr<Kernel>, 7> proj_;  // q k v o gate up down
  std::vector<float> attn_norm_, ffn_norm_, attn_sub_norm_, ffn_sub_norm_;
  int threads_ = 1;
};

// Final RMSNorm (model.norm) + logits = E y over f16 weights E (vocab x
// hidden). Synthetic weights: finite f16 values of magnitude 2^-7 .. 2^-1.
class OutputHead {
 public:
  OutputHead(const ModelConfig& config, uint64_t seed);
  // x: hidden floats (the last token); logits: vocab floats.
  void Forward(std::span<const float> x, std::span<float> logits, int threads,
               Workspace& ws) const;
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t Bytes() const { return rows_ * cols_ * sizeof(uint16_t); }
  uint16_t WeightBits(size_t r, size_t c) const;  // IEEE binary16 bits
  const std::vector<float>& norm() const { return norm_; }
  float eps() const { return eps_; }

 private:
  size_t rows_, cols_;
  float eps_;
  hwy::AlignedFreeUniquePtr<hwy::float16_t[]> w_;
  std::vector<float> norm_;
};

// IEEE binary16 -> float, exact (the reference's conversion).
float F32FromF16Bits(uint16_t bits);

}  // namespace rsr::model
