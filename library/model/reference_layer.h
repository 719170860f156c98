// The decoder layer and output head of layer.h in plain scalar double
// arithmetic, written for clarity: the slow twin the SIMD layer is tested
// against. Every value carries a bound on how far a correct float
// implementation may be from it (derivation in reference_layer.cc).
//
// Two modes:
//   * free-running (forced == nullptr): the whole layer from x. Its bounds
//     propagate worst-case through every stage and grow past usefulness
//     (measured at hidden 192: 6e-5 after the first RMSNorm, 0.1 after o_proj,
//     infinite after the FFN sub-norm), because interval arithmetic assumes
//     every rounding error in a K-term sum has the same sign;
//   * teacher-forced (forced = the layer's LayerTrace): every stage is
//     computed from the layer's own values of the previous stage, so each
//     bound covers one stage's rounding only. Int8 projections are then
//     exact (the quantization of rsr/quant.h emulated in float, the integer
//     dot, DequantizeDot's two float operations): zero quantization steps
//     apart, compared with ==. Checking every stage checks their
//     composition, the layer.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "library/model/layer.h"
#include "rsr/kernel.h"

namespace rsr::model {

struct Bounded {
  std::vector<double> value;
  std::vector<double> bound;  // |implementation - value| <= bound, per element
};

// The reference's value of every LayerTrace tensor (same names and layout;
// attn_normed and act_normed empty without sub-norms).
struct ReferenceTrace {
  Bounded norm_in, q, k, v, q_rope, k_rope, scores, probs, attn, attn_normed, o,
      h, ffn_in, gate, up, act, act_normed, down, out;
  // (name, reference, layer) for each stage present in both.
  std::vector<std::pair<std::string,
                        std::pair<const Bounded*, const std::vector<float>*>>>
  Stages(const LayerTrace& layer) const;
};

// Input x (tokens x hidden); the cache's first `context` positions are the
// context (positions beyond are not read). Projections follow the kernel's
// numeric contract: kInt8 = per-token absmax int8 quantization (BitLinear,
// rsr/quant.h), exact integer dot, DequantizeDot; kFloat32 = float sums.
ReferenceTrace ReferenceLayer(const ModelConfig& config,
                              const LayerWeights& weights,
                              std::span<const float> x, size_t tokens,
                              size_t context, const KvCache& cache,
                              ActivationType projections,
                              const LayerTrace* forced = nullptr);

// The head's logits for x (hidden floats).
Bounded ReferenceHead(const OutputHead& head, std::span<const float> x);

}  // namespace rsr::model
